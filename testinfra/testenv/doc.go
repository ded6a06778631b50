// Package testenv gives tests their own slice of the real services: a fresh, migrated
// PostgreSQL database and a Redis DB number of their own, both cleaned up afterwards. A test
// that cannot reach a service fails with a message saying how to start it.
package testenv
