-- +goose Up
-- A version on every device's latest status (issue 14, "one consistent live state"): each
-- status change takes the next value of one sequence, so a device's version only grows and a
-- browser can tell which of two states it holds is newer — the live event it applied or the row
-- of a standalone list served from a cache up to 30 s old — and keep the newer one. The version
-- travels with the status in the standalone list, the device API and the SSE status event.
CREATE SEQUENCE device_status_version_seq;

ALTER TABLE device_status ADD COLUMN version bigint NOT NULL DEFAULT nextval('device_status_version_seq');

-- +goose Down
ALTER TABLE device_status DROP COLUMN version;
DROP SEQUENCE device_status_version_seq;
