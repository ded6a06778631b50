// Package schedule emits the periodic cycle tasks (ping, SNMP, worker health, retention) into
// asynq. The jobs and their intervals live in PostgreSQL (schedule_jobs, seeded from the
// environment on a fresh database, edited through the API, the UI and `api schedule`); the
// scheduler re-reads them every second and applies an edit at the job's next slot. Several
// scheduler processes may run: one holds a leader lease in Redis and emits; each cycle task
// carries an ID derived from its slot and a per-slot claim key naming the slot's start time, so
// a slot is enqueued exactly once even when two processes both believe they lead for a moment,
// or run different intervals while one is being edited.
package schedule
