-- +goose Up
-- Monitoring profiles as defaults per device type (issue 16 point 1). A device's effective
-- profile is its own, else its branch's (branches.profile_id), else its type's (this table),
-- else the worker's configured defaults. Profile names are compared case-insensitively.

CREATE TABLE device_type_profiles (
    type       text PRIMARY KEY CHECK (btrim(type) <> ''),
    profile_id bigint NOT NULL REFERENCES monitoring_profiles(id) ON DELETE CASCADE
);
CREATE INDEX device_type_profiles_profile_idx ON device_type_profiles (profile_id);

-- +goose Down
DROP TABLE device_type_profiles;
