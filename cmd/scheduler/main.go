// Command scheduler emits WardOps' periodic cycle tasks (ping, SNMP, worker health, retention),
// as stored in the database's schedule (seeded from the environment on a fresh database),
// into Redis. Run two for failover: one holds the leader lease and emits; each slot is emitted
// exactly once either way (pkg/app.RunScheduler).
package main

import (
	"os"

	"github.com/wardops/wardops/pkg/app"
)

func main() { os.Exit(app.RunScheduler()) }
