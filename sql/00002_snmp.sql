-- +goose Up
-- SNMP polling: credentials per device or per monitoring profile (secrets sealed with
-- AES-256-GCM by pkg/secrets, never stored in clear), the latest state of each device's agent
-- and of each interface (one row each: no history scan for a device page), including the raw
-- counters of the last poll that the next poll's rate math needs. History goes to
-- VictoriaMetrics; state changes go to device_events (kinds 'reboot', 'if_up', 'if_down').

-- Credentials and polling parameters of one device. Overrides its profile's.
CREATE TABLE device_snmp (
    device_id            bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    version              text NOT NULL CHECK (version IN ('2c', '3')),
    -- target override: '' polls the device IP (e.g. 127.0.0.1 for a simulated agent)
    host                 text NOT NULL DEFAULT '',
    port                 integer NOT NULL DEFAULT 161 CHECK (port BETWEEN 1 AND 65535),
    timeout_ms           integer NOT NULL DEFAULT 2000 CHECK (timeout_ms BETWEEN 100 AND 60000),
    retries              integer NOT NULL DEFAULT 1 CHECK (retries BETWEEN 0 AND 10),
    max_repetitions      integer NOT NULL DEFAULT 10 CHECK (max_repetitions BETWEEN 1 AND 100),
    username             text NOT NULL DEFAULT '',
    security_level       text NOT NULL DEFAULT '' CHECK (security_level IN ('', 'authNoPriv', 'authPriv')),
    auth_protocol        text NOT NULL DEFAULT '',
    priv_protocol        text NOT NULL DEFAULT '',
    context_name         text NOT NULL DEFAULT '',
    -- sealed secrets ("v1.<key id>.<base64>"), NULL when unset
    community_sealed     text,
    auth_password_sealed text,
    priv_password_sealed text,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT device_snmp_v2c_community CHECK (version <> '2c' OR community_sealed IS NOT NULL),
    CONSTRAINT device_snmp_v3_user CHECK (version <> '3' OR (username <> '' AND auth_password_sealed IS NOT NULL))
);

-- Defaults of a monitoring profile's devices: credentials (optional) and the vendor OIDs to
-- read besides the standard MIBs.
CREATE TABLE profile_snmp (
    profile_id           bigint PRIMARY KEY REFERENCES monitoring_profiles(id) ON DELETE CASCADE,
    -- NULL version: the profile carries no credentials, only extra OIDs
    version              text CHECK (version IN ('2c', '3')),
    host                 text NOT NULL DEFAULT '',
    port                 integer NOT NULL DEFAULT 161 CHECK (port BETWEEN 1 AND 65535),
    timeout_ms           integer NOT NULL DEFAULT 2000 CHECK (timeout_ms BETWEEN 100 AND 60000),
    retries              integer NOT NULL DEFAULT 1 CHECK (retries BETWEEN 0 AND 10),
    max_repetitions      integer NOT NULL DEFAULT 10 CHECK (max_repetitions BETWEEN 1 AND 100),
    username             text NOT NULL DEFAULT '',
    security_level       text NOT NULL DEFAULT '' CHECK (security_level IN ('', 'authNoPriv', 'authPriv')),
    auth_protocol        text NOT NULL DEFAULT '',
    priv_protocol        text NOT NULL DEFAULT '',
    context_name         text NOT NULL DEFAULT '',
    community_sealed     text,
    auth_password_sealed text,
    priv_password_sealed text,
    -- [{"name","oid","role","agg","scale"}], validated by pkg/snmp
    extra_oids           jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(extra_oids) = 'array'),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Latest state of each device's agent: one row per polled device.
CREATE TABLE device_snmp_state (
    device_id        bigint PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    sys_name         text NOT NULL DEFAULT '',
    sys_descr        text NOT NULL DEFAULT '',
    sys_object_id    text NOT NULL DEFAULT '',
    -- uptime used for reboot detection, hundredths of a second (TimeTicks), at last_success
    uptime_ticks     bigint,
    uptime_source    text NOT NULL DEFAULT '',
    cpu_pct          double precision,
    mem_pct          double precision,
    -- values of the profile's extra OIDs: {"name": value}
    extra            jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_poll        timestamptz NOT NULL,
    last_success     timestamptz,
    poll_ms          double precision,
    -- '' after a successful poll; else the error and its kind (timeout, auth_failure, ...)
    last_error       text NOT NULL DEFAULT '',
    last_error_kind  text NOT NULL DEFAULT ''
);
CREATE INDEX device_snmp_state_error_idx ON device_snmp_state (last_error_kind, device_id) WHERE last_error_kind <> '';

-- Latest state of each interface. Counters are the raw values of the last successful poll,
-- stored as bigint bit patterns (a Counter64 above 2^63 reads negative in SQL; pkg/store
-- converts back to uint64).
CREATE TABLE snmp_interfaces (
    device_id            bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    if_index             bigint NOT NULL CHECK (if_index BETWEEN 0 AND 4294967295),
    name                 text NOT NULL DEFAULT '',
    alias                text NOT NULL DEFAULT '',
    descr                text NOT NULL DEFAULT '',
    admin_status         text NOT NULL DEFAULT '',
    oper_status          text NOT NULL DEFAULT '',
    speed_bps            bigint NOT NULL DEFAULT 0,
    in_octets            bigint NOT NULL DEFAULT 0,
    out_octets           bigint NOT NULL DEFAULT 0,
    -- 32 or 64: width the octet counters were read at; 0 = not read
    in_octets_bits       smallint NOT NULL DEFAULT 0 CHECK (in_octets_bits IN (0, 32, 64)),
    out_octets_bits      smallint NOT NULL DEFAULT 0 CHECK (out_octets_bits IN (0, 32, 64)),
    in_errors            bigint,
    out_errors           bigint,
    in_discards          bigint,
    out_discards         bigint,
    discontinuity_ticks  bigint NOT NULL DEFAULT 0,
    -- rates over the last poll interval; NULL when not computable (first poll, reset, over-speed)
    in_bps               double precision,
    out_bps              double precision,
    in_errors_ps         double precision,
    out_errors_ps        double precision,
    in_discards_ps       double precision,
    out_discards_ps      double precision,
    -- rates above the interface speed that were dropped, since the interface was first seen
    overspeed_drops      bigint NOT NULL DEFAULT 0,
    -- when WardOps saw ifOperStatus change (NULL: not since first seen)
    last_change          timestamptz,
    polled_at            timestamptz NOT NULL,
    PRIMARY KEY (device_id, if_index)
);
-- "interfaces down" views: operationally down but administratively up
CREATE INDEX snmp_interfaces_down_idx ON snmp_interfaces (device_id) WHERE oper_status <> 'up' AND admin_status = 'up';

-- +goose Down
DROP TABLE snmp_interfaces;
DROP TABLE device_snmp_state;
DROP TABLE profile_snmp;
DROP TABLE device_snmp;
