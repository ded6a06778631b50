-- +goose Up
-- The periodic schedule (issue 16, item 5), like django-celery-beat's periodic tasks: one row per
-- cycle the scheduler emits (ping, SNMP, worker health, retention, …). Slots are multiples of
-- interval since the Unix epoch plus offset. The scheduler and the API seed missing rows from
-- the WARDOPS_* environment at start (INSERT … ON CONFLICT DO NOTHING), so the environment is the
-- default of a fresh database and an edit made through the API, the UI or the CLI wins after.
-- The scheduler re-reads the table every second and applies a change at the next slot.
CREATE TABLE schedule_jobs (
    task_type   text PRIMARY KEY CHECK (task_type ~ '^[a-z_]+:[a-z_]+$'),
    interval_ms bigint NOT NULL CHECK (interval_ms >= 1000 AND interval_ms <= 86400000),
    offset_ms   bigint NOT NULL DEFAULT 0 CHECK (offset_ms >= 0 AND offset_ms < interval_ms),
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT 'environment'
);

-- +goose Down
DROP TABLE schedule_jobs;
