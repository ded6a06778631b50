package tsdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultSpoolMaxSamples bounds the spool: about three hours of a 1,000-samples-per-second
// fleet (875 devices pinged every 30 s and polled over SNMP every 60 s write ~1,000/s),
// ~60 MB of PostgreSQL (spooled bodies are gzip, about 6 bytes per sample).
const DefaultSpoolMaxSamples = 10_000_000

// drainRecent is how long after the last acknowledged drain batch the spool counts as draining.
const drainRecent = 30 * time.Second

// spoolLockKey is the PostgreSQL advisory lock that lets one drainer at a time (of all worker
// replicas) send the spool, so it is sent in order and not twice.
const spoolLockKey int64 = 0x7761_7264_7473_6462 // "wardtsdb"

// Spool keeps request bodies that could not be written to VictoriaMetrics in PostgreSQL
// (tables tsdb_spool and tsdb_spool_state, migration 00003). Every writer locks the single
// tsdb_spool_state row first, so replicas sharing the database enforce one bound and keep exact
// counters. It is safe for concurrent use.
type Spool struct {
	pool *pgxpool.Pool
	max  int64
	enc  *encoder
}

// NewSpool returns a spool on pool holding at most maxSamples samples (0 means
// DefaultSpoolMaxSamples). The API process may create one only to call Status.
func NewSpool(pool *pgxpool.Pool, maxSamples int64) *Spool {
	if maxSamples <= 0 {
		maxSamples = DefaultSpoolMaxSamples
	}
	return &Spool{pool: pool, max: maxSamples, enc: &encoder{}}
}

// MaxSamples is the bound of this spool.
func (s *Spool) MaxSamples() int64 { return s.max }

// spooled is one row of tsdb_spool.
type spooled struct {
	id      int64
	samples int
	body    []byte
}

// push stores one encoded batch; when the spool then holds more than its bound, the oldest
// samples are dropped and counted. It returns how many samples were dropped.
func (s *Spool) push(ctx context.Context, b batch) (dropped int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var total int64
		err := tx.QueryRow(ctx, `UPDATE tsdb_spool_state SET samples = samples + $1, max_samples = $2
			WHERE id = 1 RETURNING samples`, b.samples, s.max).Scan(&total)
		if err != nil {
			return fmt.Errorf("lock spool state: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tsdb_spool (oldest_at, samples, body) VALUES ($1, $2, $3)`,
			b.oldest.UTC(), b.samples, b.body); err != nil {
			return fmt.Errorf("insert spooled batch: %w", err)
		}
		if total <= s.max {
			return nil
		}
		dropped, err = s.trimOldest(ctx, tx, total-s.max)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tsdb_spool_state SET samples = samples - $1, dropped = dropped + $1,
			last_drop_at = now() WHERE id = 1`, dropped)
		if err != nil {
			return fmt.Errorf("count dropped samples: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("spool %d samples: %w", b.samples, err)
	}
	return dropped, nil
}

// trimOldest removes excess samples from the head of the spool: whole rows while they fit,
// then the first lines of the next row. The caller holds the state row lock.
func (s *Spool) trimOldest(ctx context.Context, tx pgx.Tx, excess int64) (int64, error) {
	var removed int64
	var lastID int64
	for removed < excess {
		rows, err := tx.Query(ctx, `SELECT id, samples FROM tsdb_spool WHERE id > $1 ORDER BY id LIMIT 200`, lastID)
		if err != nil {
			return 0, fmt.Errorf("read spool head: %w", err)
		}
		heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spooled, error) {
			var sp spooled
			return sp, r.Scan(&sp.id, &sp.samples)
		})
		if err != nil {
			return 0, fmt.Errorf("read spool head: %w", err)
		}
		if len(heads) == 0 {
			break
		}
		var whole []int64
		for _, h := range heads {
			lastID = h.id
			left := excess - removed
			if int64(h.samples) <= left {
				whole = append(whole, h.id)
				removed += int64(h.samples)
				continue
			}
			if err := s.trimRow(ctx, tx, h.id, int(left)); err != nil {
				return 0, err
			}
			removed += left
			break
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tsdb_spool WHERE id = ANY($1)`, whole); err != nil {
			return 0, fmt.Errorf("drop oldest spooled batches: %w", err)
		}
	}
	return removed, nil
}

// trimRow drops the first k samples of one spooled row.
func (s *Spool) trimRow(ctx context.Context, tx pgx.Tx, id int64, k int) error {
	var body []byte
	if err := tx.QueryRow(ctx, `SELECT body FROM tsdb_spool WHERE id = $1`, id).Scan(&body); err != nil {
		return fmt.Errorf("read spooled batch %d: %w", id, err)
	}
	rest, kept, oldest, err := s.enc.trimBody(body, k)
	if err != nil {
		return fmt.Errorf("trim spooled batch %d: %w", id, err)
	}
	if kept == 0 {
		_, err = tx.Exec(ctx, `DELETE FROM tsdb_spool WHERE id = $1`, id)
	} else {
		_, err = tx.Exec(ctx, `UPDATE tsdb_spool SET body = $2, samples = $3, oldest_at = $4 WHERE id = $1`,
			id, rest, kept, oldest)
	}
	if err != nil {
		return fmt.Errorf("trim spooled batch %d: %w", id, err)
	}
	return nil
}

// peek returns the oldest spooled rows, up to about maxSamples samples (at least one row).
func (s *Spool) peek(ctx context.Context, maxSamples int) ([]spooled, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, samples FROM tsdb_spool ORDER BY id LIMIT 10000`)
	if err != nil {
		return nil, fmt.Errorf("read spool head: %w", err)
	}
	heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spooled, error) {
		var sp spooled
		return sp, r.Scan(&sp.id, &sp.samples)
	})
	if err != nil {
		return nil, fmt.Errorf("read spool head: %w", err)
	}
	var ids []int64
	for total := 0; len(ids) < len(heads) && (total < maxSamples || len(ids) == 0); {
		h := heads[len(ids)]
		if len(ids) > 0 && total+h.samples > maxSamples {
			break
		}
		ids = append(ids, h.id)
		total += h.samples
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT id, samples, body FROM tsdb_spool WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spooled, error) {
		var sp spooled
		return sp, r.Scan(&sp.id, &sp.samples, &sp.body)
	})
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	return out, nil
}

// ack deletes rows that VictoriaMetrics acknowledged and returns how many samples they held
// (rows trimmed or dropped meanwhile count with what is left of them).
func (s *Spool) ack(ctx context.Context, ids []int64) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tsdb_spool_state SET last_drain_at = now() WHERE id = 1`); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM tsdb_spool WHERE id = ANY($1) RETURNING samples)
			SELECT coalesce(sum(samples), 0) FROM d`, ids).Scan(&n)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tsdb_spool_state SET samples = samples - $1 WHERE id = 1`, n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("acknowledge %d spooled batches: %w", len(ids), err)
	}
	return n, nil
}

// dropRows removes rows VictoriaMetrics rejected as malformed, counting them as dropped.
func (s *Spool) dropRows(ctx context.Context, ids []int64) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE tsdb_spool_state SET last_drop_at = now() WHERE id = 1`); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM tsdb_spool WHERE id = ANY($1) RETURNING samples)
			SELECT coalesce(sum(samples), 0) FROM d`, ids).Scan(&n)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tsdb_spool_state SET samples = samples - $1, dropped = dropped + $1 WHERE id = 1`, n)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("drop rejected spooled batches: %w", err)
	}
	return n, nil
}

// lockDrain takes the drain lock on a connection of its own; release unlocks and returns the
// connection. ok is false when another drainer holds the lock.
func (s *Spool) lockDrain(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("acquire drain lock connection: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, spoolLockKey).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("take drain lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, spoolLockKey); err != nil {
			// The session still holds the lock: close it rather than return it to the pool.
			_ = conn.Conn().Close(uctx)
		}
		conn.Release()
	}, true, nil
}

// SpoolStatus is the state of the spool, for health checks and metrics.
type SpoolStatus struct {
	// Samples spooled now, waiting for VictoriaMetrics.
	Samples int64 `json:"samples"`
	// MaxSamples is the bound (as set by the last writer).
	MaxSamples int64 `json:"max_samples"`
	// OldestAge is how old the oldest spooled sample is (0 when empty).
	OldestAge time.Duration `json:"oldest_age"`
	// Dropped counts samples ever dropped at the bound or rejected by VictoriaMetrics.
	Dropped int64 `json:"dropped"`
	// Draining is true while spooled samples are being sent back.
	Draining bool `json:"draining"`
	// BoundReached is true while the spool is full (new samples push the oldest out).
	BoundReached bool `json:"bound_reached"`
}

// Status reads the spool's state.
func (s *Spool) Status(ctx context.Context) (SpoolStatus, error) {
	var st SpoolStatus
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT st.samples, st.dropped, st.max_samples,
			coalesce(st.last_drain_at > now() - make_interval(secs => $1), false),
			(SELECT min(oldest_at) FROM (SELECT oldest_at FROM tsdb_spool ORDER BY id LIMIT 100) h)
		FROM tsdb_spool_state st WHERE st.id = 1`, drainRecent.Seconds()).
		Scan(&st.Samples, &st.Dropped, &st.MaxSamples, &st.Draining, &oldest)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, fmt.Errorf("read spool status: state row missing (migration 00003 not applied?)")
	}
	if err != nil {
		return st, fmt.Errorf("read spool status: %w", err)
	}
	if st.MaxSamples == 0 {
		st.MaxSamples = s.max
	}
	if st.Samples > 0 && oldest != nil {
		st.OldestAge = max(0, time.Since(*oldest))
	}
	st.Draining = st.Draining && st.Samples > 0
	st.BoundReached = st.Samples >= st.MaxSamples
	return st, nil
}
