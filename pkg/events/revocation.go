package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// RevokedChannel is the default Redis pub/sub channel of revocation notices (auth.Service
// publishes on its Redis prefix + "revoked", which is this with the default prefix).
const RevokedChannel = "wardops:auth:revoked"

// Revocation is a notice that credentials ended: every stream opened with one of them ends on
// every API replica whose hub receives it. Exactly one selector is normally set: UserID (all
// of a user's streams, sessions and tokens: disabled, deleted, role or password changed),
// TokenID (a revoked token) or Session (a session's public handle: logged out, replaced or
// expired). Reason is one of the Reason* constants (default ReasonRevoked).
type Revocation struct {
	UserID  int64  `json:"user_id,omitempty"`
	TokenID int64  `json:"token_id,omitempty"`
	Session string `json:"session,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Matches reports whether the notice names o's credential.
func (r Revocation) Matches(o Owner) bool {
	return (r.UserID != 0 && r.UserID == o.UserID) ||
		(r.TokenID != 0 && r.TokenID == o.TokenID) ||
		(r.Session != "" && r.Session == o.Session)
}

// PublishRevocation sends r on channel. A notice that is lost (Redis down) is covered by the
// streams' periodic re-check of their credential and by the hub's resync after a reconnect.
func PublishRevocation(ctx context.Context, rdb redis.UniversalClient, channel string, r Revocation) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("marshal revocation notice: %w", err)
	}
	if err := rdb.Publish(ctx, channel, b).Err(); err != nil {
		return fmt.Errorf("publish revocation notice: %w", err)
	}
	return nil
}
