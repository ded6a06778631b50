// Package store is WardOps' PostgreSQL layer: the connection pool, the embedded migrations and
// every query the binaries run (inventory, latest status, ping history, events). Each query runs
// under a timeout, so a hung database never hangs a worker or a request.
package store
