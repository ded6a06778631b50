// Package app is WardOps' one wiring: it builds each binary's object graph from its
// configuration and runs it until a signal. cmd/api, cmd/worker and cmd/scheduler are one
// line each over RunAPI, RunWorker and RunScheduler; tests build the same graphs with
// NewAPI, NewWorker and NewScheduler on their own services.
//
// Where a ping result travels: the scheduler (NewScheduler) emits a ping slot into Redis; a
// worker (NewWorker) runs it through pkg/worker's ping handler (probe → verdict → store and
// tsdb) and publishes the status change (pkg/events); the API (NewAPI) serves it from
// pkg/store to the dashboard (pkg/web) as the standalone list and over the live stream.
package app
