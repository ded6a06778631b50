-- +goose Up
-- Status without flapping and interface alerts that don't flood (issue 16, points 3 and 4).
--
-- A profile's degraded verdict is taken over a window of cycles (docs/status.md): degraded when
-- the loss over the last window_cycles cycles is above degraded_loss_pct, back to up only when
-- the loss over the last 2 × window_cycles − 1 cycles is at or below recover_loss_pct (NULL: half
-- of degraded_loss_pct). window_cycles = 1 is the old per-cycle verdict.
ALTER TABLE monitoring_profiles
    ADD COLUMN window_cycles integer NOT NULL DEFAULT 5 CHECK (window_cycles BETWEEN 1 AND 30),
    ADD COLUMN recover_loss_pct double precision CHECK (recover_loss_pct BETWEEN 0 AND 100),
    -- an interface whose alias matches this Go regular expression takes the role named by the
    -- expression's first capture group, or by its named group "role" (e.g. '^\[(\w+)\]')
    ADD COLUMN role_alias_pattern text NOT NULL DEFAULT '';

-- Link-down semantics: an interface is seen_up once it has been oper up since it was
-- discovered; if_down alerts only on those. role is set per interface through the API ('' =
-- derive from the alias by the profile's pattern).
ALTER TABLE snmp_interfaces
    ADD COLUMN seen_up boolean NOT NULL DEFAULT false,
    ADD COLUMN role text NOT NULL DEFAULT '' CHECK (role ~ '^[a-z0-9_-]{0,32}$');
-- interfaces up now have been seen up
UPDATE snmp_interfaces SET seen_up = true WHERE oper_status = 'up';

-- extra_oid rules: a threshold on a named extra/vendor OID value (device_snmp_state.extra)
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_kind_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check CHECK (kind IN ('device_down','ping_loss_pct',
    'ping_rtt_ms','ping_jitter_ms','if_down','if_util_pct','if_error_rate','cpu_pct','mem_pct','rebooted',
    'snmp_unreachable','extra_oid','system'));

-- +goose Down
DELETE FROM alert_rules WHERE kind = 'extra_oid';
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_kind_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check CHECK (kind IN ('device_down','ping_loss_pct',
    'ping_rtt_ms','ping_jitter_ms','if_down','if_util_pct','if_error_rate','cpu_pct','mem_pct','rebooted',
    'snmp_unreachable','system'));
ALTER TABLE snmp_interfaces DROP COLUMN role, DROP COLUMN seen_up;
ALTER TABLE monitoring_profiles DROP COLUMN role_alias_pattern, DROP COLUMN recover_loss_pct, DROP COLUMN window_cycles;
