-- +goose Up
-- Security: users with roles, API tokens (stored as SHA-256 hashes) and the audit trail.
-- Dashboard sessions live in Redis (see pkg/auth), not here.

CREATE TABLE users (
    id                  bigserial PRIMARY KEY,
    -- stored lower-case; the API normalises before every lookup
    username            text NOT NULL,
    role                text NOT NULL CHECK (role IN ('viewer','operator','admin')),
    -- PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    password_hash       text NOT NULL,
    disabled            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    last_login_at       timestamptz,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_username_lower CHECK (username = lower(username) AND btrim(username) <> '')
);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (btrim(name) <> ''),
    -- the token acts as this user, capped at role; a disabled user's tokens stop working
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('viewer','operator','admin')),
    -- SHA-256 of the whole secret; the secret itself is shown once and never stored
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    -- first characters of the secret, to recognise a token in listings
    prefix       text NOT NULL,
    created_by   bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    last_used_ip inet,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Append-only trail of every write. actor_name and target are copied, not referenced, so the
-- trail survives deleted users and devices.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES users(id) ON DELETE SET NULL,
    actor_name  text NOT NULL DEFAULT '',
    -- session | token | cli | system | anonymous
    via         text NOT NULL DEFAULT '',
    token_id    bigint REFERENCES api_tokens(id) ON DELETE SET NULL,
    client_ip   inet,
    action      text NOT NULL CHECK (btrim(action) <> ''),
    target_type text NOT NULL DEFAULT '',
    target_id   text NOT NULL DEFAULT '',
    -- JSON documents with secrets already replaced by "[redacted]"
    before      jsonb,
    after       jsonb,
    detail      jsonb
);
-- newest-first pages with an id cursor, and the filters of GET /api/v1/audit
CREATE INDEX audit_log_actor_idx ON audit_log (actor_name, id);
CREATE INDEX audit_log_action_idx ON audit_log (action text_pattern_ops, id);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE users;
