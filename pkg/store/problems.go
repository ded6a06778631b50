package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// problemCTE keys every open alert of the scope by its row of the problem list, as
// alert.GroupProblems does: "i<incident>" under an open incident of the scope (suppressed ones
// left out: the incident counts its devices), else "m<device>" in maintenance, "a<device>"
// acknowledged, "d<device>" firing; suppressed alerts behind a down parent have no row. It
// names inc (the open incidents), k (the open alerts) and g (k keyed); args are the scope's.
//
// With only, the alerts are those of the devices only[0] and the incidents only[1] (and system
// alerts): the rows whose alerts are read, found by index instead of a pass over all.
func problemCTE(sc DeviceScope, only ...[]int64) (string, []any) {
	incCond, args := sc.idsIn("i.root_device_id", nil)
	aCond, args := sc.idsIn("a.device_id", args)
	if len(only) == 2 {
		args = append(args, only[0], only[1])
		aCond += fmt.Sprintf(" AND (a.device_id = ANY($%d::bigint[]) OR a.incident_id = ANY($%d::bigint[]) OR a.device_id IS NULL)", len(args)-1, len(args))
	}
	return `WITH inc AS (
		SELECT i.id, i.alert_id, i.root_device_id, i.root_name, i.opened_at, coalesce(s.status = 'maintenance', false) AS maint
		FROM incidents i LEFT JOIN device_status s ON s.device_id = i.root_device_id
		WHERE i.state = 'open' AND ` + incCond + ` ORDER BY i.id DESC LIMIT 1000),
	k AS (
		SELECT a.id, a.device_id, a.device_name, a.kind, a.state, a.started_at, a.incident_id,
			` + severityRankSQL + ` AS rank,
			inc.id AS inc_id, inc.alert_id AS inc_root, inc.maint AS inc_maint,
			coalesce(s.status = 'maintenance', false) OR (a.state = 'suppressed' AND a.suppressed_reason = 'maintenance') AS maint,
			coalesce(a.device_id::text, 's' || a.id) AS dev
		FROM alerts a
		LEFT JOIN device_status s ON s.device_id = a.device_id
		LEFT JOIN inc ON inc.id = a.incident_id
		WHERE a.state <> 'resolved' AND ` + aCond + `),
	g AS (
		SELECT *, CASE
			WHEN inc_id IS NOT NULL THEN CASE WHEN state = 'suppressed' THEN NULL ELSE 'i' || inc_id END
			WHEN maint THEN 'm' || dev
			WHEN state = 'suppressed' THEN NULL
			WHEN state = 'acknowledged' THEN 'a' || dev
			ELSE 'd' || dev END AS key
		FROM k)`, args
}

// severityRankSQL is alert.SeverityRank of an alert row a in SQL (critical 4 … warning 1), for
// the problem list's grouping and the alert list's severity order.
const severityRankSQL = `CASE a.severity WHEN 'critical' THEN 4 WHEN 'major' THEN 3 WHEN 'minor' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END`

// rankSeverity is alert.SeverityRank backwards.
var rankSeverity = map[int]alert.Severity{4: alert.SeverityCritical, 3: alert.SeverityMajor, 2: alert.SeverityMinor, 1: alert.SeverityWarning}

// Problems builds the problem list of the scope in SQL (the groups and counts aggregated in
// PostgreSQL, then only the alerts of the rows kept read): alert.BuildProblems's answer, in
// three queries whatever the number of open alerts.
func (s *Store) Problems(ctx context.Context, sc DeviceScope, limit, perRow int) (alert.Problems, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cte, args := problemCTE(sc)
	cond, incArgs := sc.idsIn("root_device_id", nil)
	incidents, err := queryIncidents(ctx, s.pool, `WHERE state = 'open' AND `+cond+` ORDER BY id DESC LIMIT 1000`, incArgs...)
	if err != nil {
		return alert.Problems{}, fmt.Errorf("read open incidents: %w", err)
	}
	groups, devSev, err := s.problemGroups(ctx, cte, args)
	if err != nil {
		return alert.Problems{}, err
	}
	p := alert.CutProblems(groups, incidents, devSev, limit)
	byKey, err := s.problemAlerts(ctx, sc, p, perRow)
	if err != nil {
		return alert.Problems{}, err
	}
	p.Fill(byKey, perRow)
	return p, nil
}

// problemGroups aggregates the open alerts, in one pass, by row of the list and by device (the
// worst severity of each device's firing or acknowledged alerts outside maintenance).
func (s *Store) problemGroups(ctx context.Context, cte string, args []any) ([]alert.ProblemGroup, map[int64]alert.Severity, error) {
	rows, err := s.pool.Query(ctx, cte+` SELECT GROUPING(key) = 0, coalesce(device_id, 0),
			coalesce(max(rank) FILTER (WHERE device_id IS NOT NULL AND NOT maint AND state IN ('firing', 'acknowledged')), 0),
			coalesce(key, ''), CASE left(key, 1) WHEN 'm' THEN 'muted' WHEN 'a' THEN 'acked' ELSE 'rows' END,
			coalesce(min(device_id), 0), coalesce(min(device_name), ''), count(*), count(DISTINCT kind), min(started_at), max(rank),
			count(*) FILTER (WHERE state = 'firing' AND rank = 4), count(*) FILTER (WHERE state = 'firing' AND rank = 3),
			count(*) FILTER (WHERE state = 'firing' AND rank = 2), count(*) FILTER (WHERE state = 'firing' AND rank = 1),
			coalesce(array_agg(id ORDER BY id) FILTER (WHERE state = 'firing' AND rank = 4), '{}'),
			coalesce(min(inc_id), 0), coalesce(max(rank) FILTER (WHERE id = inc_root), 0), coalesce(bool_or(id = inc_root AND state = 'acknowledged'), false),
			coalesce(bool_or(inc_maint), false)
		FROM g WHERE key IS NOT NULL GROUP BY GROUPING SETS ((key), (device_id))
		UNION ALL
		SELECT true, 0, 0, 'i' || id, 'rows', root_device_id, root_name, 0, 0, opened_at, 4, 0, 0, 0, 0, '{}', id, 0, false, maint
		FROM inc WHERE NOT EXISTS (SELECT 1 FROM g WHERE g.inc_id = inc.id AND g.key IS NOT NULL)`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("read problem groups: %w", err)
	}
	var out []alert.ProblemGroup
	devSev := map[int64]alert.Severity{}
	var isGroup bool
	var dev int64
	var devRank int
	var g alert.ProblemGroup
	var since time.Time
	var rank, rootRank int
	var firing [4]int
	var rootAcked, rootMaint bool
	_, err = pgx.ForEachRow(rows, []any{&isGroup, &dev, &devRank, &g.Key, &g.Section, &g.DeviceID, &g.Device, &g.Count, &g.Kinds, &since, &rank,
		&firing[0], &firing[1], &firing[2], &firing[3], &g.Critical, &g.IncidentID, &rootRank, &rootAcked, &rootMaint}, func() error {
		if !isGroup {
			if dev != 0 && devRank > 0 {
				devSev[dev] = rankSeverity[devRank]
			}
			return nil
		}
		r := g
		r.Since, r.Severity = since.UTC(), rankSeverity[rank]
		r.Firing = map[alert.Severity]int{}
		for i, n := range firing {
			if n > 0 {
				r.Firing[rankSeverity[4-i]] = n
			}
		}
		if r.IncidentID != 0 && rootRank > 0 {
			r.Severity = rankSeverity[rootRank] // the root's, not the worst under it
		}
		if rootAcked {
			r.Section = alert.SectionAcked
		}
		if rootMaint {
			r.Section = alert.SectionMuted
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read problem groups: %w", err)
	}
	return out, devSev, nil
}

// problemAlerts reads the alerts of the rows keys, perRow a row (the most urgent) and an
// incident's root alert besides.
func (s *Store) problemAlerts(ctx context.Context, sc DeviceScope, p alert.Problems, perRow int) (map[string][]alert.Alert, error) {
	out := map[string][]alert.Alert{}
	keys := p.Keys()
	if len(keys) == 0 {
		return out, nil
	}
	devs, incs := []int64{}, []int64{}
	for _, sec := range []alert.ProblemSection{p.Rows, p.Acked, p.Muted} {
		for _, r := range sec.Rows {
			if r.Incident != nil {
				incs = append(incs, r.Incident.ID)
			} else if r.DeviceID != 0 {
				devs = append(devs, r.DeviceID)
			}
		}
	}
	cte, args := problemCTE(sc, devs, incs)
	n := len(args)
	args = append(args, keys, perRow)
	rows, err := s.pool.Query(ctx, cte+`, x AS (SELECT id, key, inc_root, row_number() OVER (PARTITION BY key ORDER BY rank DESC, started_at, id) AS rn
			FROM g WHERE key = ANY($`+strconv.Itoa(n+1)+`::text[]))
		SELECT x.key, `+alertCols+` FROM x JOIN alerts a ON a.id = x.id WHERE x.rn <= $`+strconv.Itoa(n+2)+` OR x.id = x.inc_root`, args...)
	if err != nil {
		return nil, fmt.Errorf("read problem alerts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var na nullAlert
		if err := rows.Scan(append([]any{&key}, na.dest()...)...); err != nil {
			return nil, fmt.Errorf("read problem alerts: %w", err)
		}
		out[key] = append(out[key], na.alert())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read problem alerts: %w", err)
	}
	return out, nil
}
