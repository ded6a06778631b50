package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Channel is the Redis pub/sub channel of live events on database 0; see ChannelFor.
const Channel = "wardops:events"

// ChannelFor is the live-event channel of the Redis database rdb uses. Redis pub/sub ignores
// database numbers, so two installations (or two test runs) on one Redis server with different
// databases would otherwise hear each other's events: database N > 0 gets "wardops:events:N";
// database 0 keeps Channel.
func ChannelFor(rdb redis.UniversalClient) string {
	if c, ok := rdb.(*redis.Client); ok && c.Options().DB != 0 {
		return fmt.Sprintf("%s:%d", Channel, c.Options().DB)
	}
	return Channel
}

// Event is one live event. Type says what Data holds: "status" (a device's status changed),
// "alert" (an alert changed state), "cycle" (a cycle finished).
type Event struct {
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Publisher publishes events on Redis.
type Publisher struct {
	rdb redis.UniversalClient
}

// NewPublisher returns a Publisher on rdb.
func NewPublisher(rdb redis.UniversalClient) *Publisher { return &Publisher{rdb: rdb} }

// Publish sends one event of type typ with data marshalled as JSON.
func (p *Publisher) Publish(ctx context.Context, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("marshal %s event: %w", typ, err)
	}
	msg, err := json.Marshal(Event{Type: typ, At: time.Now().UTC(), Data: raw})
	if err != nil {
		return fmt.Errorf("marshal %s event: %w", typ, err)
	}
	if err := p.rdb.Publish(ctx, ChannelFor(p.rdb), msg).Err(); err != nil {
		return fmt.Errorf("publish %s event: %w", typ, err)
	}
	return nil
}
