-- +goose Up
-- Foundation schema: inventory, monitoring profiles, latest status, ping history, events.
-- Everything is UTC (timestamptz).

CREATE TABLE monitoring_profiles (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    ping_count       integer NOT NULL DEFAULT 3 CHECK (ping_count BETWEEN 1 AND 20),
    ping_interval_ms integer NOT NULL DEFAULT 10 CHECK (ping_interval_ms >= 10),
    ping_timeout_ms  integer NOT NULL DEFAULT 1000 CHECK (ping_timeout_ms BETWEEN 50 AND 30000),
    -- a device is degraded above this loss (percent), down at 100%
    degraded_loss_pct double precision NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

INSERT INTO monitoring_profiles (name) VALUES ('default');

CREATE TABLE devices (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    ip          inet NOT NULL,
    branch      text NOT NULL DEFAULT '',
    region      text NOT NULL DEFAULT '',
    type        text NOT NULL DEFAULT '',
    vendor      text NOT NULL DEFAULT '',
    labels      jsonb NOT NULL DEFAULT '{}'::jsonb,
    parent_id   bigint REFERENCES devices(id) ON DELETE SET NULL,
    profile_id  bigint REFERENCES monitoring_profiles(id) ON DELETE SET NULL,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT devices_name_key UNIQUE (name),
    CONSTRAINT devices_name_not_blank CHECK (btrim(name) <> '')
);
-- scheduler fan-out: enabled devices in id order
CREATE INDEX devices_enabled_id_idx ON devices (id) WHERE enabled;
-- list filters
CREATE INDEX devices_branch_idx ON devices (branch, id);
CREATE INDEX devices_region_idx ON devices (region, id);
CREATE INDEX devices_parent_idx ON devices (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX devices_ip_idx ON devices (ip);
-- text search on name (lower(name) LIKE '%x%') via trigram would need an extension; prefix search uses this
CREATE INDEX devices_lower_name_idx ON devices (lower(name) text_pattern_ops);

-- One row per device: the latest state, so a device list never scans history.
CREATE TABLE device_status (
    device_id   bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'unknown'
                CHECK (status IN ('up','down','degraded','unknown','maintenance')),
    rtt_min_ms  double precision,
    rtt_avg_ms  double precision,
    rtt_max_ms  double precision,
    jitter_ms   double precision,
    loss_pct    double precision,
    last_seen   timestamptz,
    last_change timestamptz NOT NULL DEFAULT now(),
    last_slot   timestamptz
);
CREATE INDEX device_status_status_idx ON device_status (status, device_id);

-- Ping history, range-partitioned by day on the slot time; retention drops whole partitions.
-- (device_id, slot_at) is the idempotency key: a retried batch replaces, never duplicates.
CREATE TABLE ping_results (
    device_id   bigint NOT NULL,
    slot_at     timestamptz NOT NULL,
    measured_at timestamptz NOT NULL,
    sent        smallint NOT NULL,
    received    smallint NOT NULL,
    rtt_min_ms  double precision,
    rtt_avg_ms  double precision,
    rtt_max_ms  double precision,
    jitter_ms   double precision,
    loss_pct    double precision NOT NULL,
    status      text NOT NULL,
    PRIMARY KEY (device_id, slot_at)
) PARTITION BY RANGE (slot_at);

-- Every state change of a device (status up/down, reboot, interface change, ...).
CREATE TABLE device_events (
    id          bigserial PRIMARY KEY,
    device_id   bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    from_status text,
    to_status   text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX device_events_device_at_idx ON device_events (device_id, at DESC);
CREATE INDEX device_events_at_idx ON device_events (at);

-- +goose Down
DROP TABLE device_events;
DROP TABLE ping_results;
DROP TABLE device_status;
DROP TABLE devices;
DROP TABLE monitoring_profiles;
