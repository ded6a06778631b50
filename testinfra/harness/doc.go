// Package harness runs a whole WardOps in-process for end-to-end tests: the real scheduler,
// worker and API on a test's own PostgreSQL database and Redis DB, with short intervals. It is
// for tests only; the binaries wire the same parts in cmd/.
package harness
