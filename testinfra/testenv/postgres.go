package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardops/wardops/pkg/store"
)

// DefaultPGAdminURL is where tests create their databases; WARDOPS_TEST_PG_URL overrides it.
const DefaultPGAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const pgHint = "start PostgreSQL with `go tool task services` (or scripts/services.sh), or set WARDOPS_TEST_PG_URL"

// PGAdminURL is the URL of the maintenance database tests create their own databases from.
func PGAdminURL() string {
	if u := os.Getenv("WARDOPS_TEST_PG_URL"); u != "" {
		return u
	}
	return DefaultPGAdminURL
}

var dbURLs sync.Map // testing.TB -> string; test-scoped, not shared state between tests

// DBURL returns the URL of the test's own fresh, migrated database, creating it on first call.
func DBURL(t testing.TB) string {
	t.Helper()
	SkipShort(t, "PostgreSQL")
	if u, ok := dbURLs.Load(t); ok {
		return u.(string)
	}
	u := createDB(t)
	dbURLs.Store(t, u)
	t.Cleanup(func() { dbURLs.Delete(t) })
	return u
}

// NewDB returns a pool on the test's own fresh database with every migration applied. The
// database is dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	SkipShort(t, "PostgreSQL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, store.PoolParams{URL: DBURL(t), MaxConns: 20, AppName: "wardops-test"})
	if err != nil {
		t.Fatalf("open test database: %v (%s)", err, pgHint)
	}
	t.Cleanup(pool.Close)
	return pool
}

func createDB(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, PGAdminURL())
	if err != nil {
		t.Fatalf("connect to PostgreSQL at %s: %v (%s)", PGAdminURL(), err, pgHint)
	}
	defer admin.Close(ctx)
	name := "wardops_test_" + randHex(6)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { dropDB(t, name) })
	u, err := url.Parse(PGAdminURL())
	if err != nil {
		t.Fatalf("parse %s: %v", PGAdminURL(), err)
	}
	u.Path = "/" + name
	dbURL := u.String()
	pool, err := store.Open(ctx, store.PoolParams{URL: dbURL, MaxConns: 2})
	if err != nil {
		t.Fatalf("open test database %s: %v", name, err)
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, nil); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dbURL
}

func dropDB(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, PGAdminURL())
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}

// Must fails the test on err, naming what was being done.
func Must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Ctx returns a context bounded by d and cancelled at test end.
func Ctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
