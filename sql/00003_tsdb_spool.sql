-- +goose Up
-- Samples that could not be written to VictoriaMetrics, spooled until it is back (pkg/tsdb).
-- One row per failed Write call: its gzip-compressed Prometheus text body exactly as it
-- would have been posted, drained in id order.
CREATE TABLE tsdb_spool (
    id         bigserial PRIMARY KEY,
    spooled_at timestamptz NOT NULL DEFAULT now(),
    -- oldest_at is the earliest sample timestamp in the body.
    oldest_at  timestamptz NOT NULL,
    samples    integer     NOT NULL CHECK (samples > 0),
    body       bytea       NOT NULL
);
-- The body is already gzip: do not let TOAST try to compress it again.
ALTER TABLE tsdb_spool ALTER COLUMN body SET STORAGE EXTERNAL;

-- One row of counters. Every writer of tsdb_spool locks this row first, which serialises
-- bound enforcement between worker replicas and keeps the counters exact.
CREATE TABLE tsdb_spool_state (
    id            smallint PRIMARY KEY CHECK (id = 1),
    samples       bigint      NOT NULL DEFAULT 0,
    dropped       bigint      NOT NULL DEFAULT 0,
    max_samples   bigint      NOT NULL DEFAULT 0,
    last_drain_at timestamptz,
    last_drop_at  timestamptz
);
INSERT INTO tsdb_spool_state (id) VALUES (1);

-- +goose Down
DROP TABLE tsdb_spool_state;
DROP TABLE tsdb_spool;
