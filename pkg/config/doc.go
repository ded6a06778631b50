// Package config loads each binary's configuration from WARDOPS_* environment variables. Every
// section validates itself; a bad value stops the binary at start with an error naming the
// variable. Defaults are named constants that work with the local services that
// `go tool task up` starts.
package config
