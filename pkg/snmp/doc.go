// Package snmp polls devices over SNMP (v2c, and v3 authNoPriv/authPriv) and turns what it
// reads into WardOps state: the latest state of each device's agent and interfaces in
// PostgreSQL, interface and reboot events, and time series (bits/s, errors/s, status, CPU,
// memory, uptime) through a SampleWriter.
//
// The pieces, from the wire up:
//   - Poller.Poll reads one device with its own gosnmp.GoSNMP (gosnmp is not safe for parallel
//     use): one GET for the system group, then one multi-column GetBulk walk of ifTable,
//     ifXTable (64-bit counters first, 32-bit fallback), HOST-RESOURCES-MIB processors and
//     storage, and the profile's extra OIDs. A dead agent costs one timeout × (retries+1).
//     Failures are *Error values classified by ErrorKind (timeout, auth_failure, ...).
//   - CounterRate, Rebooted and Evaluate are the pure rate math: Counter32 wrap, Counter64,
//     resets (reboot, discontinuity, counter went back), zero interval, over-speed; none of
//     them ever yields a spike.
//   - Service runs batches (the asynq handler of tasks.TypeSNMPBatch), on-demand tests
//     (tasks.TypeSNMPTest, and Test for synchronous use), and the settings and state reads of
//     the API. Settings secrets are sealed with pkg/secrets and never leave in clear: Settings
//     marshals *_set flags instead.
//
// Simulated agents for the demo, tests and benchmark come from package simdata and
// scripts/snmp.sh; see docs/SNMP.md.
package snmp
