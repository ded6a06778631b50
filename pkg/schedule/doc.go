// Package schedule emits the periodic cycle tasks (ping, SNMP, worker health, retention) into
// asynq. Several scheduler processes may run: one holds a leader lease in Redis and emits;
// each cycle task carries an ID derived from its slot and a per-slot claim key, so a slot is
// enqueued exactly once even when two processes both believe they lead for a moment.
package schedule
