package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// TTLs of the cached kinds (the original system's, which worked).
const (
	ProfilesTTL = 300 * time.Second
	RulesTTL    = 60 * time.Second
	DevicesTTL  = 30 * time.Second
)

// Keys of the cached kinds.
const (
	ProfilesKey = "wardops:cache:profiles"
	RulesKey    = "wardops:cache:alert_rules"
)

// JSON is a read-through cache of one value of type T under one key.
type JSON[T any] struct {
	rdb  redis.UniversalClient
	key  string
	ttl  time.Duration
	load func(ctx context.Context) (T, error)
}

// New returns a cache of the value load returns, kept under key for ttl.
func New[T any](rdb redis.UniversalClient, key string, ttl time.Duration, load func(ctx context.Context) (T, error)) *JSON[T] {
	return &JSON[T]{rdb: rdb, key: key, ttl: ttl, load: load}
}

// Get returns the cached value, loading and storing it on a miss. A Redis failure falls back to
// load, so an unreachable cache slows things down but never fails them.
func (c *JSON[T]) Get(ctx context.Context) (T, error) {
	var v T
	raw, err := c.rdb.Get(ctx, c.key).Bytes()
	if err == nil && json.Unmarshal(raw, &v) == nil {
		return v, nil
	}
	v, lerr := c.load(ctx)
	if lerr != nil {
		return v, fmt.Errorf("load %s: %w", c.key, lerr)
	}
	if err == nil || errors.Is(err, redis.Nil) {
		if b, merr := json.Marshal(v); merr == nil {
			_ = c.rdb.Set(ctx, c.key, b, c.ttl).Err() // best effort: the next Get loads again
		}
	}
	return v, nil
}

// Invalidate drops the cached value; call it after every change of the underlying data.
func (c *JSON[T]) Invalidate(ctx context.Context) error {
	if err := c.rdb.Del(ctx, c.key).Err(); err != nil {
		return fmt.Errorf("invalidate %s: %w", c.key, err)
	}
	return nil
}
