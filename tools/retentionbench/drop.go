package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/store"
)

// timedStore is the real store with each partition drop timed and its WAL counted, so the
// bench reports the drop itself beside the whole retention run that called it.
type timedStore struct {
	*store.Store
	lsn   func(context.Context) (int64, error)
	drops map[string]dropped
}

// dropped is one partition drop: wall time and WAL written meanwhile (cluster-wide).
type dropped struct {
	took     time.Duration
	walBytes int64
}

var _ retention.Store = (*timedStore)(nil)

// DropPartition times store.DropPartition.
func (t *timedStore) DropPartition(ctx context.Context, parent string, p store.Partition, lockWait time.Duration) error {
	lsn0, err := t.lsn(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	err = t.Store.DropPartition(ctx, parent, p, lockWait)
	d := dropped{took: time.Since(t0)}
	lsn1, lerr := t.lsn(ctx)
	d.walBytes = lsn1 - lsn0
	t.drops[p.Name] = d
	return errors.Join(err, lerr)
}

// dropOutcome is the daily retention run that dropped the expired partitions.
type dropOutcome struct {
	run      time.Duration
	drops    map[string]dropped
	walBytes int64 // over the whole run
}

// dropByRetention runs the daily retention once with its clock set so that the partitions
// of the days before keepFrom are past the default 30-day retention and the others are not.
// The roll-up watermark is set to that clock first: in production the hourly runs have rolled
// those days up long before they expire, and the bench times the drop, not a roll-up.
func dropByRetention(ctx context.Context, st *store.Store, conn *pgx.Conn, keepFrom time.Time, want []string) (dropOutcome, error) {
	cfg := retention.DefaultConfig()
	now := keepFrom.Add(cfg.Ping).Add(time.Hour)
	if err := st.SetOpsState(ctx, store.OpsRollupWatermark, now, nil); err != nil {
		return dropOutcome{}, err
	}
	lsn := func(ctx context.Context) (int64, error) { return walLSN(ctx, conn) }
	ts := &timedStore{Store: st, lsn: lsn, drops: map[string]dropped{}}
	r := retention.New(retention.Params{Store: ts, Config: cfg, Now: func() time.Time { return now }})
	lsn0, err := walLSN(ctx, conn)
	if err != nil {
		return dropOutcome{}, err
	}
	t0 := time.Now()
	rep, err := r.Run(ctx, true)
	out := dropOutcome{run: time.Since(t0), drops: ts.drops}
	if err != nil {
		return out, fmt.Errorf("retention run: %w", err)
	}
	lsn1, err := walLSN(ctx, conn)
	if err != nil {
		return out, err
	}
	out.walBytes = lsn1 - lsn0
	if fmt.Sprint(rep.DroppedPing) != fmt.Sprint(want) {
		return out, fmt.Errorf("retention run dropped %v, want %v", rep.DroppedPing, want)
	}
	return out, nil
}

// deleteOutcome is the row-by-row DELETE of one day's rows, and the VACUUM that must follow
// before the space is reused.
type deleteOutcome struct {
	rows     int64
	took     time.Duration
	walBytes int64 // of the DELETE statement alone (EXPLAIN's WAL counter)
	lsnBytes int64 // cluster-wide LSN difference over the DELETE
	vacuum   time.Duration
}

// deleteDay deletes the rows of [from, from+1 day) from ping_results — pruned to that day's
// partition — under EXPLAIN (ANALYZE, WAL, TIMING OFF), which counts the statement's own WAL
// without per-row clock reads, then VACUUMs the partition.
func deleteDay(ctx context.Context, conn *pgx.Conn, from time.Time, partition string) (deleteOutcome, error) {
	var out deleteOutcome
	lsn0, err := walLSN(ctx, conn)
	if err != nil {
		return out, err
	}
	var plan []byte
	t0 := time.Now()
	err = conn.QueryRow(ctx, `EXPLAIN (ANALYZE, WAL, TIMING OFF, FORMAT JSON)
		DELETE FROM ping_results WHERE slot_at >= $1 AND slot_at < $2`, from, from.AddDate(0, 0, 1)).Scan(&plan)
	out.took = time.Since(t0)
	if err != nil {
		return out, fmt.Errorf("delete rows of %s: %w", partition, err)
	}
	lsn1, err := walLSN(ctx, conn)
	if err != nil {
		return out, err
	}
	out.lsnBytes = lsn1 - lsn0
	var p []struct {
		Plan struct {
			WALBytes int64 `json:"WAL Bytes"`
			Plans    []struct {
				ActualRows int64 `json:"Actual Rows"`
			} `json:"Plans"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return out, fmt.Errorf("read the DELETE's plan: %v", err)
	}
	out.walBytes = p[0].Plan.WALBytes
	for _, c := range p[0].Plan.Plans {
		out.rows += c.ActualRows
	}
	t0 = time.Now()
	if _, err := conn.Exec(ctx, "VACUUM "+pgx.Identifier{partition}.Sanitize()); err != nil {
		return out, fmt.Errorf("vacuum %s: %w", partition, err)
	}
	out.vacuum = time.Since(t0)
	return out, nil
}

// walLSN is the current WAL position in bytes.
func walLSN(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var n int64
	if err := conn.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&n); err != nil {
		return 0, fmt.Errorf("read wal position: %w", err)
	}
	return n, nil
}
