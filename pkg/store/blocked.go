package store

import (
	"context"
	"fmt"
)

// maxParentDepth bounds walks up the parent chain (and breaks cycles in bad data), as the alert
// engine's does.
const maxParentDepth = 64

// Blocked-by, the "unreachable is not down" field of issue 14: a device's blocked_by is the id
// of its topmost down ancestor — following parent_id up the whole chain, the down ancestor
// closest to the root — or null when no ancestor is down. The device's own status does not
// enter into it: the API keeps status as measured, and a client shows a down device with a
// blocked_by as "unreachable behind" that root.

// blockedIndex computes blocked_by for a whole list at once (the standalone list): parent(i) is
// the index of row i's parent or -1, down(i) whether row i is down. It returns, per row, the
// index of its topmost down ancestor or -1. O(rows): every row's answer is memoised.
func blockedIndex(n int, parent func(i int) int, down func(i int) bool) []int {
	const unset = -2
	memo := make([]int, n)
	for i := range memo {
		memo[i] = unset
	}
	var walk func(i, depth int) int
	walk = func(i, depth int) int {
		if memo[i] != unset {
			return memo[i]
		}
		res := -1
		if p := parent(i); p >= 0 && depth < maxParentDepth {
			res = walk(p, depth+1) // the topmost down ancestor above the parent…
			if res < 0 && down(p) {
				res = p // …or the parent itself
			}
		}
		memo[i] = res
		return res
	}
	out := make([]int, n)
	for i := range out {
		out[i] = walk(i, 0)
	}
	return out
}

// blockedByIDs returns blocked_by of the given devices (only those that have one), read in one
// recursive query: for a page of the device list, one device, or the devices of a status change.
func blockedByIDs(ctx context.Context, q querier, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `
		WITH RECURSIVE up(device_id, ancestor, depth) AS (
			SELECT d.id, d.parent_id, 1 FROM devices d WHERE d.id = ANY($1) AND d.parent_id IS NOT NULL
			UNION ALL
			SELECT up.device_id, p.parent_id, up.depth + 1 FROM up JOIN devices p ON p.id = up.ancestor
			WHERE p.parent_id IS NOT NULL AND up.depth < $2
		)
		SELECT DISTINCT ON (up.device_id) up.device_id, up.ancestor
		FROM up JOIN device_status s ON s.device_id = up.ancestor AND s.status = 'down'
		ORDER BY up.device_id, up.depth DESC`, ids, maxParentDepth)
	if err != nil {
		return nil, fmt.Errorf("read blocked_by of %d devices: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, root int64
		if err := rows.Scan(&id, &root); err != nil {
			return nil, fmt.Errorf("read blocked_by of %d devices: %w", len(ids), err)
		}
		out[id] = root
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read blocked_by of %d devices: %w", len(ids), err)
	}
	return out, nil
}

// setBlockedBy fills BlockedBy of a page of devices.
func (s *Store) setBlockedBy(ctx context.Context, list []DeviceWithStatus) error {
	ids := make([]int64, len(list))
	for i := range list {
		ids[i] = list[i].ID
	}
	m, err := blockedByIDs(ctx, s.pool, ids)
	if err != nil {
		return err
	}
	for i := range list {
		if root, ok := m[list[i].ID]; ok {
			list[i].BlockedBy = &root
		}
	}
	return nil
}

// setStandaloneBlocked fills BlockedBy of every row of the standalone list from the rows
// themselves (every device is in it, so no second query is needed).
func setStandaloneBlocked(rows []StandaloneRow) {
	idx := make(map[int64]int, len(rows))
	for i := range rows {
		idx[rows[i].ID] = i
	}
	parents := make([]int, len(rows))
	for i := range rows {
		parents[i] = -1
		if p := rows[i].ParentID; p != nil {
			if j, ok := idx[*p]; ok {
				parents[i] = j
			}
		}
	}
	blocked := blockedIndex(len(rows), func(i int) int { return parents[i] }, func(i int) bool { return rows[i].Status == StatusDown })
	for i, b := range blocked {
		if b >= 0 {
			id := rows[b].ID
			rows[i].BlockedBy = &id
		}
	}
}
