-- +goose Up
-- Issue 14, points 5 and 6.
-- The overview's timeline reads the last hour of alert events across every alert: by time.
CREATE INDEX alert_events_at_idx ON alert_events (at);

-- A display token is a viewer token bound to the wall screen: it signs an unattended room
-- screen in (POST /api/v1/auth/display), reaches only what the wall shows, and has no expiry
-- unless one is given; revoking it ends the screen's session and stream at once.
ALTER TABLE api_tokens ADD COLUMN purpose text NOT NULL DEFAULT 'api'
    CONSTRAINT api_tokens_purpose_check CHECK (purpose IN ('api', 'display'));

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN purpose;
DROP INDEX alert_events_at_idx;
