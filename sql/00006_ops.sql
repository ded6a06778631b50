-- +goose Up
-- Operations: hourly ping roll-ups kept a year, worker-health samples, and the state of the
-- housekeeping jobs (roll-up watermark, last retention run). pkg/retention and
-- pkg/workerhealth write these; the queries live in pkg/store (ops_*.go).

-- Hourly roll-ups of ping_results, one row per device and UTC hour, written by the retention
-- task (INSERT … ON CONFLICT DO UPDATE: re-rolling an hour replaces its row). Range-partitioned
-- by month (ping_hourly_YYYYMM, created by the task before it writes) so that the one-year
-- retention also drops whole partitions. No foreign key: the history outlives deleted devices.
CREATE TABLE ping_hourly (
    device_id     bigint NOT NULL,
    hour          timestamptz NOT NULL,
    -- ping rounds (slots) in the hour, and those whose status was up or degraded
    slots         integer NOT NULL,
    up_slots      integer NOT NULL,
    sent          integer NOT NULL,
    received      integer NOT NULL,
    rtt_min_ms    double precision,
    -- mean of the rounds' average RTT weighted by their replies
    rtt_avg_ms    double precision,
    rtt_max_ms    double precision,
    jitter_avg_ms double precision,
    -- 100 * (sent - received) / sent over the hour
    loss_pct      double precision NOT NULL,
    PRIMARY KEY (device_id, hour)
) PARTITION BY RANGE (hour);

-- One worker-health sample per 5-minute slot (the slot start is the key, so a retried task
-- replaces its row). Per-queue and per-server figures are kept as JSON for the admin view.
CREATE TABLE worker_health (
    at             timestamptz PRIMARY KEY,
    sampled_at     timestamptz NOT NULL,
    servers        integer NOT NULL,
    concurrency    integer NOT NULL,
    busy           integer NOT NULL,
    pending        integer NOT NULL,
    max_pending    integer NOT NULL,
    max_pending_queue text NOT NULL DEFAULT '',
    active         integer NOT NULL,
    retry          integer NOT NULL,
    archived       integer NOT NULL,
    -- age of the oldest pending task over all queues (asynq's queue latency)
    max_latency_ms bigint NOT NULL,
    spool_samples  bigint NOT NULL DEFAULT 0,
    spool_dropped  bigint NOT NULL DEFAULT 0,
    queues         jsonb NOT NULL DEFAULT '[]'::jsonb,
    server_list    jsonb NOT NULL DEFAULT '[]'::jsonb
);

-- Named state of housekeeping jobs: 'rollup_watermark' (hours before it are rolled up) and
-- 'retention_last_run' (the outcome of the last run, shown to admins).
CREATE TABLE ops_state (
    name       text PRIMARY KEY,
    at         timestamptz NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE ops_state;
DROP TABLE worker_health;
DROP TABLE ping_hourly;
