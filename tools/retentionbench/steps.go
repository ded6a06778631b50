package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/store"
)

// writeBoth writes day1 through the store and day2 by psql, each after a CHECKPOINT so both
// start from the same state, and checks that each partition holds every row.
func writeBoth(ctx context.Context, st *store.Store, conn *pgx.Conn, c config, f fleet, res *results) error {
	if err := checkpoint(ctx, conn); err != nil {
		return err
	}
	fmt.Printf("store write path: %s rows, batches of %d, %d writers …\n", commas(int64(f.rows)), c.batch, c.writers)
	var err error
	if res.storeWrite, err = writeStore(ctx, st, f, day1, c.batch, c.writers); err != nil {
		return err
	}
	if err := checkpoint(ctx, conn); err != nil {
		return err
	}
	fmt.Println("psql COPY of the same rows …")
	csv := filepath.Join(c.work, "ping_results.csv")
	if res.psqlCopy, err = copyPsql(ctx, conn.Config().ConnString(), csv); err != nil {
		return err
	}
	if !c.keep {
		_ = os.Remove(csv)
	}
	for _, d := range []time.Time{day1, day2} {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+partition(d)).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", partition(d), err)
		}
		if n != int64(f.rows) {
			return fmt.Errorf("%s holds %d rows, want %d", partition(d), n, f.rows)
		}
	}
	return nil
}

// dropAndDelete brings both full partitions to the state of a day-old partition (vacuumed and
// analysed, as autovacuum would have left it, so no autovacuum runs into the timed steps),
// then drops day1 (and the empty day0) by the retention run and DELETEs the rows of day2.
func dropAndDelete(ctx context.Context, st *store.Store, conn *pgx.Conn, res *results) error {
	for _, d := range []time.Time{day1, day2} {
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+partition(d)); err != nil {
			return fmt.Errorf("vacuum %s: %w", partition(d), err)
		}
	}
	if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size($1)", partition(day1)).Scan(&res.partBytes); err != nil {
		return fmt.Errorf("size of %s: %w", partition(day1), err)
	}
	if err := checkpoint(ctx, conn); err != nil {
		return err
	}
	fmt.Println("retention run dropping the expired partitions …")
	var err error
	if res.drop, err = dropByRetention(ctx, st, conn, day2, []string{partition(day0), partition(day1)}); err != nil {
		return err
	}
	if err := checkpoint(ctx, conn); err != nil {
		return err
	}
	fmt.Println("DELETE of the same number of rows …")
	res.del, err = deleteDay(ctx, conn, day2, partition(day2))
	return err
}

func checkpoint(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint (needs a superuser or pg_checkpoint role): %w", err)
	}
	return nil
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// bytesText formats a byte count in kB, MB or GB (decimal).
func bytesText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
}

// durText formats a duration in ms below 1 s, in s above.
func durText(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
