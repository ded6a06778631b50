// Package selfmetricstest checks, in tests, that a /metrics exposition is what Prometheus tools
// accept: it parses the text format with Prometheus' own parser (expfmt) and reports every
// family without a HELP text or a TYPE.
package selfmetricstest
