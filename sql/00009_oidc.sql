-- +goose Up
-- Single sign-on (OpenID Connect): a user provisioned at their first SSO sign-in carries the
-- issuer and subject ("sub") of their ID token; that pair, not the username, finds them again.
-- Such a user has no usable local password (password_hash holds a marker that is no PHC
-- string, so password sign-in always fails). Local users have both columns NULL.
-- The columns are named oidc_* (no generic "source" column) so that other sign-in sources
-- can add their own without clashing.
ALTER TABLE users
    ADD COLUMN oidc_issuer  text,
    ADD COLUMN oidc_subject text,
    ADD CONSTRAINT users_oidc_pair CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL)),
    ADD CONSTRAINT users_oidc_subject_key UNIQUE (oidc_issuer, oidc_subject);

-- +goose Down
ALTER TABLE users
    DROP CONSTRAINT users_oidc_subject_key,
    DROP CONSTRAINT users_oidc_pair,
    DROP COLUMN oidc_subject,
    DROP COLUMN oidc_issuer;
