// Package bootstrap is what each of the three binaries needs before its graph is built (pkg/app
// calls it): the logger built from config, the signal-bound context, the Redis connection
// (plain, TLS or Sentinel) that both asynq and the cache use, the owner name of a process, and
// the secret box from the configured key. (It was called "daemon".)
package bootstrap
