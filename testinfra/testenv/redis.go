package testenv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisAddr is the Redis tests use; WARDOPS_TEST_REDIS_ADDR overrides it.
const DefaultRedisAddr = "127.0.0.1:6379"

const redisHint = "start Redis with `go tool task services` (or scripts/services.sh), or set WARDOPS_TEST_REDIS_ADDR"

// RedisAddr is the address of the Redis server tests use.
func RedisAddr() string {
	if a := os.Getenv("WARDOPS_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultRedisAddr
}

var redisDBs sync.Map // testing.TB -> int

// RedisOpt returns the Redis address and the DB number reserved for this test (1..15), locking
// it against other test processes until the test ends. The DB is flushed before use.
func RedisOpt(t testing.TB) (string, int) {
	t.Helper()
	SkipShort(t, "Redis")
	if db, ok := redisDBs.Load(t); ok {
		return RedisAddr(), db.(int)
	}
	db := lockRedisDB(t)
	redisDBs.Store(t, db)
	t.Cleanup(func() { redisDBs.Delete(t) })
	return RedisAddr(), db
}

// NewRedis returns a client on the test's own flushed Redis DB.
func NewRedis(t testing.TB) *redis.Client {
	t.Helper()
	addr, db := RedisOpt(t)
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// lockRedisDB takes a free DB number: a lock key in DB 0 per number, refreshed while the test
// runs, so parallel test binaries never share a DB.
func lockRedisDB(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	c0 := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: 0})
	if err := c0.Ping(ctx).Err(); err != nil {
		_ = c0.Close()
		t.Fatalf("connect to Redis at %s: %v (%s)", RedisAddr(), err, redisHint)
	}
	owner := strconv.Itoa(os.Getpid()) + ":" + randHex(4)
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		for db := 1; db <= 15; db++ {
			key := fmt.Sprintf("wardops:testenv:redisdb:%d", db)
			ok, err := c0.SetNX(ctx, key, owner, 2*time.Minute).Result()
			if err != nil {
				t.Fatalf("lock Redis DB: %v", err)
			}
			if !ok {
				continue
			}
			stop := make(chan struct{})
			go refreshLock(c0, key, stop)
			t.Cleanup(func() {
				close(stop)
				c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: db})
				_ = c.FlushDB(context.Background()).Err()
				_ = c.Close()
				_ = c0.Del(context.Background(), key).Err()
				_ = c0.Close()
			})
			c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: db})
			err = c.FlushDB(ctx).Err()
			_ = c.Close()
			if err != nil {
				t.Fatalf("flush Redis DB %d: %v", db, err)
			}
			return db
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no free Redis DB (1..15) after 5 minutes: too many tests hold one")
	return 0
}

func refreshLock(c *redis.Client, key string, stop <-chan struct{}) {
	tk := time.NewTicker(30 * time.Second)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			_ = c.Expire(context.Background(), key, 2*time.Minute).Err()
		}
	}
}
