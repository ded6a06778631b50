-- +goose Up
-- Alerting: rules, their per-key evaluation state, alerts and their history, dependency
-- incidents, maintenance windows, notification channels and the delivery log (pkg/alert,
-- pkg/notify). Everything is UTC (timestamptz).

CREATE TABLE alert_rules (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL,
    description        text NOT NULL DEFAULT '',
    kind               text NOT NULL CHECK (kind IN ('device_down','ping_loss_pct','ping_rtt_ms',
                           'ping_jitter_ms','if_down','if_util_pct','if_error_rate','cpu_pct','mem_pct',
                           'rebooted','snmp_unreachable','system')),
    -- system rules: the system metric compared (workers, queue_pending, spool_samples, ...)
    metric             text NOT NULL DEFAULT '',
    -- '>=' fires at or above threshold, '<=' at or below
    op                 text NOT NULL DEFAULT '>=' CHECK (op IN ('>=','<=')),
    threshold          double precision NOT NULL DEFAULT 0,
    -- hysteresis: an open alert recovers only past this value (strictly below for '>=')
    recovery_threshold double precision NOT NULL DEFAULT 0,
    for_cycles         integer NOT NULL DEFAULT 1 CHECK (for_cycles BETWEEN 1 AND 1000),
    recover_cycles     integer NOT NULL DEFAULT 1 CHECK (recover_cycles BETWEEN 1 AND 1000),
    severity           text NOT NULL CHECK (severity IN ('critical','major','minor','warning')),
    -- {"regions":[..],"branches":[..],"types":[..],"labels":{k:v},"devices":[ids]}; {} = all
    scope              jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- repeat a firing, unacknowledged alert every N minutes (0 = never)
    repeat_minutes     integer NOT NULL DEFAULT 0 CHECK (repeat_minutes BETWEEN 0 AND 10080),
    -- flapping: flap_changes state changes within flap_window_s (0 changes = off)
    flap_changes       integer NOT NULL DEFAULT 4 CHECK (flap_changes = 0 OR flap_changes BETWEEN 2 AND 100),
    flap_window_s      integer NOT NULL DEFAULT 900 CHECK (flap_window_s BETWEEN 0 AND 86400),
    enabled            boolean NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_name_key UNIQUE (name),
    CONSTRAINT alert_rules_name_not_blank CHECK (btrim(name) <> '')
);

-- Incidents group the alerts of devices behind a down parent ("Branch X router down — 12
-- devices unreachable"). One open incident per root device.
CREATE TABLE incidents (
    id             bigserial PRIMARY KEY,
    root_device_id bigint NOT NULL,
    root_name      text NOT NULL DEFAULT '',
    branch         text NOT NULL DEFAULT '',
    title          text NOT NULL,
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open','resolved')),
    -- the root device's own reachability alert, when it has one
    alert_id       bigint,
    affected_count integer NOT NULL DEFAULT 0,
    opened_at      timestamptz NOT NULL,
    -- first evaluation that saw the root up again: children keep their suppression for that one cycle
    root_up_since  timestamptz,
    resolved_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX incidents_open_root_key ON incidents (root_device_id) WHERE state = 'open';
CREATE INDEX incidents_opened_idx ON incidents (opened_at DESC);

-- Alerts: one open (not resolved) alert per (rule, device, subject). device_id is NULL for
-- system alerts. No foreign keys to rules/devices: the history outlives them, names are copied.
CREATE TABLE alerts (
    id                bigserial PRIMARY KEY,
    rule_id           bigint NOT NULL,
    rule_name         text NOT NULL,
    kind              text NOT NULL,
    device_id         bigint,
    device_name       text NOT NULL DEFAULT '',
    subject           text NOT NULL DEFAULT '',
    severity          text NOT NULL CHECK (severity IN ('critical','major','minor','warning')),
    state             text NOT NULL CHECK (state IN ('firing','acknowledged','resolved','suppressed')),
    -- why a suppressed alert is suppressed: parent | maintenance
    suppressed_reason text NOT NULL DEFAULT '',
    maintenance_id    bigint,
    flapping          boolean NOT NULL DEFAULT false,
    value             double precision,
    threshold         double precision,
    summary           text NOT NULL DEFAULT '',
    started_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    resolved_at       timestamptz,
    acked_by          text,
    acked_at          timestamptz,
    ack_comment       text,
    ack_expires_at    timestamptz,
    closed_by         text,
    close_comment     text,
    incident_id       bigint REFERENCES incidents(id) ON DELETE SET NULL,
    -- channels a firing/repeat of this alert was routed to: its resolve goes to them
    notified_channels bigint[] NOT NULL DEFAULT '{}',
    last_notified_at  timestamptz,
    -- optimistic concurrency between the evaluator and ack/close by hand
    version           integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_open_key ON alerts (rule_id, (coalesce(device_id, 0)), subject) WHERE state <> 'resolved';
-- lists: newest first by id (the cursor), per state or per device
CREATE INDEX alerts_state_idx ON alerts (state, id DESC);
CREATE INDEX alerts_device_idx ON alerts (device_id, id DESC) WHERE device_id IS NOT NULL;
CREATE INDEX alerts_incident_idx ON alerts (incident_id) WHERE incident_id IS NOT NULL;
ALTER TABLE incidents ADD CONSTRAINT incidents_alert_fk FOREIGN KEY (alert_id) REFERENCES alerts(id) ON DELETE SET NULL;

-- Evaluation state per (rule, device, subject), kept only while it says something (a bad
-- streak, an open alert, recent changes). device_id 0 for system rules. Engine-internal.
CREATE TABLE alert_state (
    rule_id    bigint NOT NULL,
    device_id  bigint NOT NULL,
    subject    text NOT NULL,
    bad_count  integer NOT NULL DEFAULT 0,
    good_count integer NOT NULL DEFAULT 0,
    active     boolean NOT NULL DEFAULT false,
    flapping   boolean NOT NULL DEFAULT false,
    -- closed by hand while still bad: do not fire again before a good cycle
    latched    boolean NOT NULL DEFAULT false,
    -- instants of recent active/inactive changes (unix ms), for flap detection
    changes    bigint[] NOT NULL DEFAULT '{}',
    alert_id   bigint,
    value      double precision,
    -- optimistic concurrency with close by hand
    version    integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, device_id, subject)
);

-- Full history of every alert.
CREATE TABLE alert_events (
    id         bigserial PRIMARY KEY,
    alert_id   bigint NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    from_state text NOT NULL DEFAULT '',
    to_state   text NOT NULL DEFAULT '',
    actor      text NOT NULL DEFAULT '',
    comment    text NOT NULL DEFAULT '',
    -- whether a notification was routed for this event
    notified   boolean NOT NULL DEFAULT false,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, at, id);

-- Maintenance windows: one-off [starts_at, ends_at) or weekly on weekdays at start_time for
-- duration_minutes in an IANA time zone. Targets use the rule scope shape (at least one field).
CREATE TABLE maintenance_windows (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    kind             text NOT NULL CHECK (kind IN ('once','weekly')),
    starts_at        timestamptz,
    ends_at          timestamptz,
    -- 0 = Sunday .. 6 = Saturday
    weekdays         smallint[] NOT NULL DEFAULT '{}',
    start_time       text NOT NULL DEFAULT '',
    duration_minutes integer NOT NULL DEFAULT 0 CHECK (duration_minutes BETWEEN 0 AND 10080),
    time_zone        text NOT NULL DEFAULT 'UTC',
    targets          jsonb NOT NULL DEFAULT '{}'::jsonb,
    enabled          boolean NOT NULL DEFAULT true,
    created_by       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT maintenance_windows_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT maintenance_windows_once_range CHECK (kind <> 'once' OR (starts_at IS NOT NULL AND ends_at > starts_at)),
    CONSTRAINT maintenance_windows_weekly_spec CHECK (kind <> 'weekly' OR (cardinality(weekdays) > 0 AND duration_minutes > 0))
);

-- Notification channels. config holds the public settings; secret the sealed JSON of the
-- write-only ones (pkg/secrets, bound to the channel id). Routing: severities ({} = all) and scope.
CREATE TABLE channels (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    type       text NOT NULL CHECK (type IN ('webhook','email','slack','telegram')),
    config     jsonb NOT NULL DEFAULT '{}'::jsonb,
    secret     text NOT NULL DEFAULT '',
    -- names of the write-only settings that are set (the API shows which, never their values)
    secret_names text[] NOT NULL DEFAULT '{}',
    severities text[] NOT NULL DEFAULT '{}',
    scope      jsonb NOT NULL DEFAULT '{}'::jsonb,
    enabled    boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT channels_name_key UNIQUE (name),
    CONSTRAINT channels_name_not_blank CHECK (btrim(name) <> '')
);

-- Delivery log and outbox: one row per (alert event, channel), keyed by delivery_key, written in
-- the evaluation transaction; the notify task claims it, sends, and records the outcome. A
-- delivered key is never sent again.
CREATE TABLE deliveries (
    id           bigserial PRIMARY KEY,
    delivery_key text NOT NULL,
    alert_id     bigint REFERENCES alerts(id) ON DELETE CASCADE,
    event_id     bigint REFERENCES alert_events(id) ON DELETE CASCADE,
    channel_id   bigint NOT NULL,
    channel_name text NOT NULL DEFAULT '',
    message      jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sending','delivered','failed')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    CONSTRAINT deliveries_key UNIQUE (delivery_key)
);
CREATE INDEX deliveries_alert_idx ON deliveries (alert_id, id) WHERE alert_id IS NOT NULL;
CREATE INDEX deliveries_unsent_idx ON deliveries (created_at) WHERE state IN ('pending','sending');

-- The default rule set. Ping every 30 s, SNMP every 60 s: for/recover counts are cycles.
INSERT INTO alert_rules (name, description, kind, metric, op, threshold, recovery_threshold, for_cycles,
                         recover_cycles, severity, repeat_minutes) VALUES
 ('Device down', 'No echo reply for two ping cycles', 'device_down', '', '>=', 0, 0, 2, 1, 'critical', 60),
 ('Packet loss', 'Loss of 20 % or more (recovers below 5 %)', 'ping_loss_pct', '', '>=', 20, 5, 3, 3, 'major', 0),
 ('High latency', 'Average RTT of 200 ms or more (recovers below 150 ms)', 'ping_rtt_ms', '', '>=', 200, 150, 3, 3, 'minor', 0),
 ('High jitter', 'Jitter of 50 ms or more (recovers below 30 ms)', 'ping_jitter_ms', '', '>=', 50, 30, 3, 3, 'warning', 0),
 ('Interface down', 'Interface operationally down while administratively up', 'if_down', '', '>=', 0, 0, 2, 1, 'major', 0),
 ('Interface utilisation', 'In or out traffic at 90 % of speed or more (recovers below 80 %)', 'if_util_pct', '', '>=', 90, 80, 3, 3, 'minor', 0),
 ('Interface errors', '10 or more errors per second (recovers below 1)', 'if_error_rate', '', '>=', 10, 1, 3, 3, 'warning', 0),
 ('High CPU', 'CPU at 90 % or more (recovers below 75 %)', 'cpu_pct', '', '>=', 90, 75, 3, 3, 'minor', 0),
 ('High memory', 'Memory at 90 % or more (recovers below 85 %)', 'mem_pct', '', '>=', 90, 85, 3, 3, 'warning', 0),
 ('Rebooted', 'Uptime of 600 s or less: the device restarted', 'rebooted', '', '<=', 600, 600, 1, 1, 'warning', 0),
 ('SNMP unreachable', 'SNMP agent did not answer for three polls', 'snmp_unreachable', '', '>=', 0, 0, 3, 1, 'major', 0),
 ('No workers', 'No worker process is running', 'system', 'workers', '<=', 0, 0, 1, 1, 'critical', 30),
 ('Queue backlog critical', 'More than 5,000 tasks pending', 'system', 'queue_pending', '>=', 5001, 5001, 1, 2, 'critical', 30),
 ('Queue backlog', 'More than 1,000 tasks pending', 'system', 'queue_pending', '>=', 1001, 1001, 2, 2, 'warning', 0),
 ('Metrics spool growing', 'Samples waiting for VictoriaMetrics in the spool', 'system', 'spool_samples', '>=', 100000, 10000, 2, 2, 'minor', 0);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE channels;
DROP TABLE maintenance_windows;
DROP TABLE alert_events;
DROP TABLE alert_state;
ALTER TABLE incidents DROP CONSTRAINT incidents_alert_fk;
DROP TABLE alerts;
DROP TABLE incidents;
DROP TABLE alert_rules;
