// Command worker executes WardOps tasks from Redis: ping and SNMP batches, alert evaluation,
// notifications and housekeeping, 50 at a time by default. Run as many replicas as needed
// (pkg/app.RunWorker).
package main

import (
	"os"

	"github.com/wardops/wardops/pkg/app"
)

func main() { os.Exit(app.RunWorker()) }
