-- +goose Up
-- Delivery errors keep only the status line (pkg/notify): the answers' bodies that earlier
-- versions appended ("HTTP 500: <up to 512 bytes>", "telegram sendMessage: HTTP 400: <description>")
-- and the request URLs quoted by network errors (`Post "https://host/path?token=…"`, whose query
-- may hold a token) are removed from the log viewers read. Idempotent; channel secrets still in
-- clear in channels.config are sealed by the API at start (notify.SealClearSecrets), because
-- the key is not the database's.
UPDATE deliveries
SET last_error = regexp_replace(
        regexp_replace(last_error, '^((telegram sendMessage: )?HTTP [0-9]{3}):.*$', '\1'),
        '(Post|Get) "[^"]*"', '\1 [redacted url]', 'g')
WHERE last_error ~ '^(telegram sendMessage: )?HTTP [0-9]{3}:' OR last_error ~ '(Post|Get) "';

-- +goose Down
-- The removed text is not kept anywhere: nothing to restore.
SELECT 1;
