-- +goose Up
-- Two system rules for asynq's retry and archived sets (docs/OPERATIONS.md): the worker-health
-- task samples both every 5 minutes (pkg/workerhealth, summed over the queues), so cycles
-- here are 5-minute samples. An archived task gave up after its last retry: one is worth a
-- look. A growing retry set means a dependency (PostgreSQL, VictoriaMetrics, a channel) fails.
INSERT INTO alert_rules (name, description, kind, metric, op, threshold, recovery_threshold, for_cycles,
                         recover_cycles, severity, repeat_minutes) VALUES
 ('Tasks archived', 'A task gave up after its retries (asynqmon: Archived); recovers when none is left', 'system', 'queue_archived', '>=', 1, 1, 1, 1, 'minor', 0),
 ('Task retries piling up', 'More than 100 tasks waiting to retry (recovers below 20)', 'system', 'queue_retry', '>=', 101, 20, 2, 2, 'warning', 0);

-- +goose Down
DELETE FROM alert_rules WHERE kind = 'system' AND name IN ('Tasks archived', 'Task retries piling up');
