// Package worker holds the asynq handlers of the ping pipeline and assembles the worker's
// task mux: a cycle task fans one slot out into batches; a batch is pinged (pkg/probe), stored
// (pkg/store: history by COPY, latest status, events), written to VictoriaMetrics (pkg/tsdb)
// and announced live (pkg/events) for the dashboard. When the last batch of a slot is done the
// alert evaluation of that cycle is enqueued.
//
// Batches of every kind (ping, SNMP) go through Batches.Wrap: each is counted done exactly once
// however often it runs, and holds a lease renewed by a heartbeat while it runs; the Rescuer
// every worker runs re-enqueues, within its slot, a batch whose worker died (asynq alone would
// recover it only after the slot).
package worker
