-- +goose Up
-- Regions and branches as objects (issue 16 point 2). Devices reference a branch (branch_id);
-- the devices' branch and region text columns stay as the denormalised names every list,
-- scope, rule and report already reads, and are kept equal to the objects' names by the
-- store (a rename or a move rewrites them in the same transaction). Today's free text becomes
-- rows: names match case- and whitespace-insensitively ("South" and " south" are one region),
-- each merged name takes its most used spelling (ties: the smallest), and every device, user
-- scope, rule, window and channel scope is rewritten to that spelling, so nothing changes
-- place. A branch name is unique within its region.

CREATE TABLE regions (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND name = btrim(name)),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX regions_name_key ON regions (lower(name));

CREATE TABLE branches (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND name = btrim(name)),
    -- NULL: a branch in no region (devices that had a branch and no region)
    region_id   bigint REFERENCES regions(id) ON DELETE RESTRICT,
    address     text NOT NULL DEFAULT '',
    latitude    double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude   double precision CHECK (longitude BETWEEN -180 AND 180),
    isp         text NOT NULL DEFAULT '',
    circuit_id  text NOT NULL DEFAULT '',
    contacts    text NOT NULL DEFAULT '',
    -- IANA name, validated by the API (time.LoadLocation)
    time_zone   text NOT NULL DEFAULT 'UTC',
    -- default monitoring profile of the branch's devices (a device's own profile wins)
    profile_id  bigint REFERENCES monitoring_profiles(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT branches_coords_both CHECK ((latitude IS NULL) = (longitude IS NULL))
);
CREATE UNIQUE INDEX branches_name_key ON branches (coalesce(region_id, 0), lower(name));
CREATE INDEX branches_region_idx ON branches (region_id);

ALTER TABLE devices ADD COLUMN branch_id bigint REFERENCES branches(id) ON DELETE RESTRICT;
CREATE INDEX devices_branch_id_idx ON devices (branch_id) WHERE branch_id IS NOT NULL;

-- regions: one per case-insensitive name, in the most used spelling
INSERT INTO regions (name)
SELECT DISTINCT ON (lower(btrim(region))) btrim(region)
FROM devices WHERE btrim(region) <> ''
GROUP BY btrim(region)
ORDER BY lower(btrim(region)), count(*) DESC, btrim(region);

-- branches: one per (region, case-insensitive name), in the most used spelling
INSERT INTO branches (name, region_id)
SELECT DISTINCT ON (r.id, lower(btrim(d.branch))) btrim(d.branch), r.id
FROM devices d LEFT JOIN regions r ON lower(r.name) = lower(btrim(d.region))
WHERE btrim(d.branch) <> ''
GROUP BY r.id, btrim(d.branch)
ORDER BY r.id, lower(btrim(d.branch)), count(*) DESC, btrim(d.branch);

UPDATE devices d SET region = coalesce(r.name, ''), branch = coalesce(b.name, ''), branch_id = b.id
FROM devices d0
LEFT JOIN regions r ON lower(r.name) = lower(btrim(d0.region)) AND btrim(d0.region) <> ''
LEFT JOIN branches b ON coalesce(b.region_id, 0) = coalesce(r.id, 0) AND lower(b.name) = lower(btrim(d0.branch))
    AND btrim(d0.branch) <> ''
WHERE d.id = d0.id;

-- names in scopes and targets take the canonical spelling (unknown names stay as they are)
-- +goose StatementBegin
CREATE FUNCTION pg_temp.canon_regions(a text[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(coalesce(r.name, x) ORDER BY i), '{}')
    FROM unnest(a) WITH ORDINALITY AS u(x, i) LEFT JOIN regions r ON lower(r.name) = lower(btrim(x))
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.canon_branches(a text[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(coalesce((SELECT min(b.name) FROM branches b WHERE lower(b.name) = lower(btrim(x))), x) ORDER BY i), '{}')
    FROM unnest(a) WITH ORDINALITY AS u(x, i)
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION pg_temp.canon_scope(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT CASE WHEN jsonb_typeof(j) <> 'object' THEN j ELSE j
        || CASE WHEN jsonb_typeof(j->'regions') = 'array' THEN jsonb_build_object('regions',
            to_jsonb(pg_temp.canon_regions(ARRAY(SELECT jsonb_array_elements_text(j->'regions'))))) ELSE '{}'::jsonb END
        || CASE WHEN jsonb_typeof(j->'branches') = 'array' THEN jsonb_build_object('branches',
            to_jsonb(pg_temp.canon_branches(ARRAY(SELECT jsonb_array_elements_text(j->'branches'))))) ELSE '{}'::jsonb END
    END
$$;
-- +goose StatementEnd

UPDATE users SET scope_regions = pg_temp.canon_regions(scope_regions), scope_branches = pg_temp.canon_branches(scope_branches)
WHERE scope_regions <> '{}' OR scope_branches <> '{}';
UPDATE alert_rules SET scope = pg_temp.canon_scope(scope) WHERE scope ?| ARRAY['regions', 'branches'];
UPDATE maintenance_windows SET targets = pg_temp.canon_scope(targets) WHERE targets ?| ARRAY['regions', 'branches'];
UPDATE channels SET scope = pg_temp.canon_scope(scope) WHERE scope ?| ARRAY['regions', 'branches'];
DROP FUNCTION pg_temp.canon_scope(jsonb);
DROP FUNCTION pg_temp.canon_branches(text[]);
DROP FUNCTION pg_temp.canon_regions(text[]);

-- +goose Down
ALTER TABLE devices DROP COLUMN branch_id;
DROP TABLE branches;
DROP TABLE regions;
