-- +goose Up
-- Identity: users from a directory (AD/LDAP) beside local accounts, and TOTP two-factor.

-- local: signs in with password_hash; ldap: signs in against the directory (password_hash is
-- the unusable '!'), its role re-derived from its groups at every sign-in and refresh; oidc:
-- signs in through the OpenID Provider (00009), role and scope from its claims
ALTER TABLE users
    ADD COLUMN source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap', 'oidc')),
    -- the directory entry of a source=ldap user
    ADD COLUMN external_dn text NOT NULL DEFAULT '',
    -- TOTP secret sealed with WARDOPS_SECRET_KEY (pkg/secrets); set at enrolment start
    ADD COLUMN totp_secret text NOT NULL DEFAULT '',
    -- when enrolment was confirmed; NULL: two-factor is off (a secret may be pending)
    ADD COLUMN totp_enabled_at timestamptz,
    -- the last TOTP time step accepted: a code is only good once
    ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

-- one-time recovery codes, stored as SHA-256 (the codes are random, 60 bits each)
CREATE TABLE user_recovery_codes (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL CHECK (length(code_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- +goose Down
DROP TABLE user_recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step, DROP COLUMN totp_enabled_at, DROP COLUMN totp_secret,
    DROP COLUMN external_dn, DROP COLUMN source;
