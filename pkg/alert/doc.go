// Package alert turns the latest monitoring results into alerts. Its core is pure: Evaluate
// runs every rule of one source (ping, SNMP or system) over an in-memory snapshot in one
// batched pass and returns the state changes, history events and notifications to send —
// for/recovery counts with hysteresis, flap detection, acknowledgements with expiry,
// maintenance windows (recorded, not sent) and parent suppression (children of a down branch
// router are suppressed under one incident; a resolve is always sent for every alert whose
// firing was sent). Around it, Evaluator loads the snapshot and rules (cached in Redis),
// persists a pass in one transaction, enqueues notify tasks and publishes live events; Handler
// is the asynq handler of tasks.TypeAlertEval; Service is what the HTTP API calls.
package alert
