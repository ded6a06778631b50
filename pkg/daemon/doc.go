// Package daemon is the process plumbing the three binaries share: the logger built from
// config, the signal-bound context, and the Redis connection (plain, TLS or Sentinel) that both
// asynq and the cache use.
package daemon
