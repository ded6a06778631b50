package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Partitioned tables the retention task manages.
const (
	// PingResultsTable is partitioned by UTC day: ping_results_YYYYMMDD.
	PingResultsTable = "ping_results"
	// PingHourlyTable is partitioned by UTC month: ping_hourly_YYYYMM.
	PingHourlyTable = "ping_hourly"
)

// partitionParents are the tables whose partitions the ops methods may list, create and drop;
// names are checked against it so no caller-given text ever reaches DDL.
var partitionParents = map[string]*regexp.Regexp{
	PingResultsTable: regexp.MustCompile(`^ping_results_([0-9]{8})$`),
	PingHourlyTable:  regexp.MustCompile(`^ping_hourly_([0-9]{6})$`),
}

// Partition is one partition (or a left-over detached partition) of a managed table.
type Partition struct {
	// Name is e.g. ping_results_20260301.
	Name string
	// From and To bound the partition's range (UTC), derived from its name.
	From, To time.Time
	// Attached is false for a table left detached by an interrupted drop.
	Attached bool
	// DetachPending is true when a DETACH … CONCURRENTLY was interrupted.
	DetachPending bool
}

// partitionRange derives the range of a managed partition from its name.
func partitionRange(parent, name string) (from, to time.Time, ok bool) {
	re := partitionParents[parent]
	if re == nil {
		return from, to, false
	}
	m := re.FindStringSubmatch(name)
	if m == nil {
		return from, to, false
	}
	if parent == PingHourlyTable {
		t, err := time.Parse("200601", m[1])
		return t, t.AddDate(0, 1, 0), err == nil
	}
	t, err := time.Parse("20060102", m[1])
	return t, t.AddDate(0, 0, 1), err == nil
}

// ListPartitions returns the partitions of parent (PingResultsTable or PingHourlyTable) named
// by the project's scheme, oldest first, including detached left-overs of an interrupted drop.
func (s *Store) ListPartitions(ctx context.Context, parent string) ([]Partition, error) {
	if partitionParents[parent] == nil {
		return nil, fmt.Errorf("list partitions of %q: not a managed table", parent)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT c.relname, i.inhrelid IS NOT NULL, coalesce(i.inhdetachpending, false)
		FROM pg_class c
		LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = $1::regclass
		WHERE c.relkind = 'r' AND c.relname LIKE $2
		  AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		ORDER BY c.relname`, parent, parent+`\_%`)
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", parent, err)
	}
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Partition, error) {
		var p Partition
		return p, r.Scan(&p.Name, &p.Attached, &p.DetachPending)
	})
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", parent, err)
	}
	out := parts[:0]
	for _, p := range parts {
		from, to, ok := partitionRange(parent, p.Name)
		if !ok {
			continue // not ours (e.g. created by hand): never touched
		}
		p.From, p.To = from, to
		out = append(out, p)
	}
	return out, nil
}

// EnsureHourlyPartitions creates the month partitions of ping_hourly covering [from, to), if
// missing.
func (s *Store) EnsureHourlyPartitions(ctx context.Context, from, to time.Time) error {
	from = from.UTC()
	month := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	var stmts []string
	for ; month.Before(to); month = month.AddDate(0, 1, 0) {
		next := month.AddDate(0, 1, 0)
		name := PingHourlyTable + "_" + month.Format("200601")
		stmts = append(stmts, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF ping_hourly FOR VALUES FROM ('%s') TO ('%s')`,
			name, month.Format(time.RFC3339), next.Format(time.RFC3339)))
	}
	return s.createPartitions(ctx, stmts)
}

// DropPartition removes one managed partition in O(1): DETACH … CONCURRENTLY (which does not
// block writers of the other partitions; FINALIZE when an earlier detach was interrupted),
// then DROP TABLE. lockWait bounds each lock wait so a long query on the partition makes the
// drop fail (and a later run retry it) instead of stalling the table.
func (s *Store) DropPartition(ctx context.Context, parent string, p Partition, lockWait time.Duration) error {
	if _, _, ok := partitionRange(parent, p.Name); !ok {
		return fmt.Errorf("drop partition %q of %s: not a managed partition name", p.Name, parent)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	conn, err := s.root.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("drop partition %s: %w", p.Name, err)
	}
	defer conn.Release()
	// session settings must not leak to the pool's next user
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), `RESET lock_timeout`) }()
	if _, err := conn.Exec(ctx, `SET lock_timeout = `+strconv.FormatInt(max(lockWait.Milliseconds(), 1), 10)); err != nil {
		return fmt.Errorf("drop partition %s: set lock_timeout: %w", p.Name, err)
	}
	ident := pgx.Identifier{p.Name}.Sanitize()
	switch {
	case p.DetachPending:
		_, err = conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DETACH PARTITION %s FINALIZE`, parent, ident))
	case p.Attached:
		_, err = conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY`, parent, ident))
	}
	if err != nil {
		return fmt.Errorf("detach partition %s: %w", p.Name, err)
	}
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS `+ident); err != nil {
		return fmt.Errorf("drop partition %s: %w", p.Name, err)
	}
	return nil
}
