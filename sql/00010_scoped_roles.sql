-- +goose Up
-- Scoped roles (docs/SECURITY.md "Scoped roles"): a viewer or operator may be limited to some
-- regions and/or branches (a device is in scope when its region or its branch is listed; both
-- empty means every device). API tokens act with their user's scope. An admin can change
-- scopes, so scoping one would be meaningless: the database refuses it as the API does.
ALTER TABLE users
    ADD COLUMN scope_regions  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN scope_branches text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT users_admin_unscoped CHECK (role <> 'admin' OR (scope_regions = '{}' AND scope_branches = '{}'));

-- +goose Down
ALTER TABLE users
    DROP CONSTRAINT users_admin_unscoped,
    DROP COLUMN scope_branches,
    DROP COLUMN scope_regions;
