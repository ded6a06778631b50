-- +goose Up
-- Single sign-on (OpenID Connect): a user provisioned at their first SSO sign-in carries the
-- issuer and subject ("sub") of their ID token; that pair, not the username, finds them again.
-- Such a user has no usable local password (password_hash holds a marker that is no PHC
-- string, so password sign-in always fails). Local users have both columns NULL.
ALTER TABLE users
    ADD COLUMN oidc_issuer  text,
    ADD COLUMN oidc_subject text,
    ADD CONSTRAINT users_oidc_pair CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL)),
    ADD CONSTRAINT users_oidc_subject_key UNIQUE (oidc_issuer, oidc_subject),
    -- source (00008) says how a user signs in: oidc exactly for the users with a subject
    ADD CONSTRAINT users_oidc_source CHECK ((oidc_subject IS NOT NULL) = (source = 'oidc'));

-- +goose Down
ALTER TABLE users
    DROP CONSTRAINT users_oidc_source,
    DROP CONSTRAINT users_oidc_subject_key,
    DROP CONSTRAINT users_oidc_pair,
    DROP COLUMN oidc_subject,
    DROP COLUMN oidc_issuer;
