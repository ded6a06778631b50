-- +goose Up
-- Deleting keeps history (issue 16, item 8): DELETE /devices/{id} sets deleted_at instead of
-- removing the row, so the device's events, alerts, availability and audit stay readable for
-- the periods it existed. Every list, the cycles (ping, SNMP, alert evaluation) and lookups by
-- id or name skip deleted rows; availability reports include a device for the part of the
-- period before its deletion. Retention purges a deleted device (and its cascading history)
-- once everything about it has aged out. A name is unique among devices not deleted, so a
-- device can be created again with the name of a deleted one.
ALTER TABLE devices ADD COLUMN deleted_at timestamptz;

ALTER TABLE devices DROP CONSTRAINT devices_name_key;
CREATE UNIQUE INDEX devices_name_key ON devices (name) WHERE deleted_at IS NULL;

DROP INDEX devices_enabled_id_idx;
CREATE INDEX devices_enabled_id_idx ON devices (id) WHERE enabled AND deleted_at IS NULL;
CREATE INDEX devices_deleted_at_idx ON devices (deleted_at) WHERE deleted_at IS NOT NULL;

-- +goose Down
DELETE FROM devices WHERE deleted_at IS NOT NULL;
DROP INDEX devices_deleted_at_idx;
DROP INDEX devices_enabled_id_idx;
CREATE INDEX devices_enabled_id_idx ON devices (id) WHERE enabled;
DROP INDEX devices_name_key;
ALTER TABLE devices ADD CONSTRAINT devices_name_key UNIQUE (name);
ALTER TABLE devices DROP COLUMN deleted_at;
