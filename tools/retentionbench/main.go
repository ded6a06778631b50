// Command retentionbench measures, in one run on a fresh database, what retention and the
// ping write path cost at the size of one day of ping history (`go tool task bench:retention`):
//
//   - the daily retention run dropping a day partition of ping_results holding -rows rows
//     (pkg/retention → store.DropPartition: DETACH … CONCURRENTLY, DROP TABLE), beside the
//     row-by-row DELETE of the same number of rows from an identical partition: wall time and
//     WAL written;
//   - ping results written through store.WritePingResults (the worker's path: batches of
//     -batch devices of one slot, -writers at a time) beside one raw COPY … FROM STDIN of the
//     same rows as CSV by psql, the limit: rows per second.
//
// It prints a table and writes run/bench/retention.json (tools/benchreport renders it).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

func main() { os.Exit(run()) }

// config is the bench's flags.
type config struct {
	rows, devices, batch, writers int
	adminURL, db, out, work       string
	keep                          bool
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseFlags() config {
	var c config
	flag.IntVar(&c.rows, "rows", envInt("WARDOPS_BENCH_RETENTION_ROWS", 2_500_000), "rows of one day (env WARDOPS_BENCH_RETENTION_ROWS)")
	flag.IntVar(&c.devices, "devices", envInt("WARDOPS_BENCH_RETENTION_DEVICES", 875), "devices per slot (875 × 2,880 slots of 30 s ≈ 2.5 M rows a day)")
	flag.IntVar(&c.batch, "batch", 100, "devices per WritePingResults call (the worker's WARDOPS_PING_BATCH_SIZE)")
	flag.IntVar(&c.writers, "writers", envInt("WARDOPS_BENCH_RETENTION_WRITERS", 8), "WritePingResults calls at a time (env WARDOPS_BENCH_RETENTION_WRITERS)")
	flag.StringVar(&c.adminURL, "admin-url", envStr("WARDOPS_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL URL of a role that may create databases and CHECKPOINT (env WARDOPS_BENCH_ADMIN_URL)")
	flag.StringVar(&c.db, "db", "wardops_bench_retention", "database created afresh for the bench (dropped after unless -keep)")
	flag.StringVar(&c.out, "json", benchfile.Path("retention"), "result file")
	flag.StringVar(&c.work, "work", filepath.Join(filepath.Dir(benchfile.Dir()), "bench-retention"), "directory for the CSV file")
	flag.BoolVar(&c.keep, "keep", false, "keep the database and the CSV file")
	flag.Parse()
	return c
}

func run() int {
	c := parseFlags()
	f, err := newFleet(c.rows, c.devices)
	if err != nil {
		fmt.Fprintln(os.Stderr, "retentionbench:", err)
		return 2
	}
	load0 := benchfile.LoadAvg()
	date := benchfile.Now()
	res, err := measure(context.Background(), c, f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "retentionbench:", err)
		return 1
	}
	res.print(c, f)
	bf := benchfile.File{Bench: "retention", Command: "go tool task bench:retention", Date: date,
		Load: load0 + " → " + benchfile.LoadAvg(), Rows: res.rows(c, f)}
	if err := benchfile.Write(c.out, bf); err != nil {
		fmt.Fprintln(os.Stderr, "retentionbench:", err)
		return 1
	}
	fmt.Printf("\nload average %s; results in %s\n", bf.Load, c.out)
	return 0
}

// The bench's days: day0 empty (the O(1) baseline), day1 written through the store and then
// dropped by retention, day2 written by psql and then DELETEd. Far in the past, so nothing of
// today is touched by the retention run's clock.
var (
	day0 = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	day1 = day0.AddDate(0, 0, 1)
	day2 = day0.AddDate(0, 0, 2)
)

func partition(day time.Time) string { return store.PingResultsTable + "_" + day.Format("20060102") }

// results are the measurements of one run.
type results struct {
	storeWrite, psqlCopy time.Duration
	partBytes            int64
	drop                 dropOutcome
	del                  deleteOutcome
}

func measure(ctx context.Context, c config, f fleet) (res results, err error) {
	dbURL, cleanup, err := freshDB(ctx, c)
	if err != nil {
		return res, err
	}
	defer func() {
		if !c.keep {
			cleanup()
		}
	}()
	pool, err := store.Open(ctx, store.PoolParams{URL: dbURL, MaxConns: int32(c.writers + 4), AppName: "wardops-retentionbench"})
	if err != nil {
		return res, err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool, nil); err != nil {
		return res, err
	}
	st := store.New(pool, 0, slog.New(slog.DiscardHandler))
	conn, err := pgx.Connect(ctx, dbURL) // no statement timeout: DELETE and VACUUM of a day take long
	if err != nil {
		return res, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := prepare(ctx, st, conn, c, f); err != nil {
		return res, err
	}
	if err := writeBoth(ctx, st, conn, c, f, &res); err != nil {
		return res, err
	}
	if err := dropAndDelete(ctx, st, conn, &res); err != nil {
		return res, err
	}
	return res, nil
}

// freshDB (re)creates the bench database and returns its URL and how to drop it.
func freshDB(ctx context.Context, c config) (string, func(), error) {
	admin, err := pgx.Connect(ctx, c.adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect as admin (-admin-url): %w", err)
	}
	defer admin.Close(ctx)
	id := pgx.Identifier{c.db}.Sanitize()
	for _, q := range []string{"DROP DATABASE IF EXISTS " + id + " WITH (FORCE)", "CREATE DATABASE " + id} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return "", nil, fmt.Errorf("create database %s: %w", c.db, err)
		}
	}
	cfg, _ := pgx.ParseConfig(c.adminURL)
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, c.db)
	if cfg.Password != "" {
		url = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, c.db)
	}
	return url, func() {
		if a, err := pgx.Connect(context.Background(), c.adminURL); err == nil {
			_, _ = a.Exec(context.Background(), "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)")
			_ = a.Close(context.Background())
		}
	}, nil
}

// prepare registers the devices (the status upsert joins them), creates the three day
// partitions and writes the CSV for psql.
func prepare(ctx context.Context, st *store.Store, conn *pgx.Conn, c config, f fleet) error {
	if _, err := conn.Exec(ctx, `INSERT INTO devices (name, ip, branch, region, type)
		SELECT 'bench-' || g, '10.0.0.0'::inet + g, 'branch-' || (g / 20), 'region-' || (g / 20 % 8), 'router'
		FROM generate_series(1, $1) g`, f.devices); err != nil {
		return fmt.Errorf("register %d devices: %w", f.devices, err)
	}
	if err := st.EnsurePingPartitions(ctx, day0, 3); err != nil {
		return err
	}
	if err := os.MkdirAll(c.work, 0o755); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	fmt.Printf("writing %s rows of CSV …\n", commas(int64(f.rows)))
	return f.writeCSV(filepath.Join(c.work, "ping_results.csv"), day2)
}
