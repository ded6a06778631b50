package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/pkg/alert"
)

// inventoryMaxAge forces a full reload now and then, whatever the stamp says (a safety net
// for changes made behind the store's back).
const inventoryMaxAge = 10 * time.Minute

// The observed status: during maintenance device_status says 'maintenance' and the ping's own
// verdict is in ping_results at last_slot (a primary-key lookup, only for those rows).
const snapshotStatusCols = `
		CASE WHEN s.status = 'maintenance' THEN coalesce((SELECT p.status FROM ping_results p
			WHERE p.device_id = d.id AND p.slot_at = s.last_slot), 'unknown') ELSE coalesce(s.status, 'unknown') END,
		s.loss_pct, s.rtt_avg_ms, s.jitter_ms,
		n.device_id IS NOT NULL, coalesce(n.last_error = '', false), n.cpu_pct, n.mem_pct, n.uptime_ticks / 100.0`

const snapshotFrom = `
	FROM devices d
	LEFT JOIN device_status s ON s.device_id = d.id
	LEFT JOIN device_snmp_state n ON n.device_id = d.id
	WHERE d.enabled ORDER BY d.id`

// loadSnapshotDevices returns the enabled devices with their latest state in id order. When the
// devices table is unchanged since inv was filled, only the status columns are read (about a
// fifth of the cost at 100,000 devices) and written into inv.Devices in place.
func loadSnapshotDevices(ctx context.Context, q querier, inv *alert.Inventory) ([]alert.Device, error) {
	stamp, n, err := inventoryStamp(ctx, q)
	if err != nil {
		return nil, err
	}
	if inv.Stamp == stamp && len(inv.Devices) == n && time.Since(inv.LoadedAt) < inventoryMaxAge {
		ok, err := refreshStatus(ctx, q, inv.Devices)
		if err != nil || ok {
			return inv.Devices, err
		}
	}
	devs, err := loadInventory(ctx, q, n)
	if err != nil {
		return nil, err
	}
	inv.Stamp, inv.LoadedAt, inv.Devices = stamp, time.Now(), devs
	return devs, nil
}

// inventoryStamp changes whenever a device is added, removed or updated (updated_at).
func inventoryStamp(ctx context.Context, q querier) (string, int, error) {
	rows, err := q.Query(ctx, `SELECT count(*) FILTER (WHERE enabled), count(*), coalesce(max(id), 0),
		coalesce(max(updated_at), 'epoch') FROM devices`)
	if err != nil {
		return "", 0, fmt.Errorf("devices stamp: %w", err)
	}
	var enabled, all, maxID int64
	var maxUpd time.Time
	if _, err := pgx.ForEachRow(rows, []any{&enabled, &all, &maxID, &maxUpd}, func() error { return nil }); err != nil {
		return "", 0, fmt.Errorf("devices stamp: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d/%d", enabled, all, maxID, maxUpd.UnixMicro()), int(enabled), nil
}

func loadInventory(ctx context.Context, q querier, n int) ([]alert.Device, error) {
	rows, err := q.Query(ctx, `SELECT d.id, d.name, host(d.ip), d.branch, d.region, d.type, d.labels::text,
		coalesce(d.parent_id, 0), `+snapshotStatusCols+snapshotFrom)
	if err != nil {
		return nil, fmt.Errorf("load device snapshot: %w", err)
	}
	defer rows.Close()
	out := make([]alert.Device, 0, n+n/16) // sized once: growing a slice of 100k devices costs more than the count
	var labels string
	for rows.Next() {
		var d alert.Device
		var st statusScan
		if err := rows.Scan(append([]any{&d.ID, &d.Name, &d.IP, &d.Branch, &d.Region, &d.Type, &labels, &d.ParentID},
			st.dest(&d)...)...); err != nil {
			return nil, fmt.Errorf("load device snapshot: %w", err)
		}
		if labels != "{}" {
			if err := json.Unmarshal([]byte(labels), &d.Labels); err != nil {
				return nil, fmt.Errorf("decode labels of device %d: %w", d.ID, err)
			}
		}
		st.apply(&d)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load device snapshot: %w", err)
	}
	return out, nil
}

// refreshStatus overwrites the status fields of devs (id order) with the latest ones. It
// reports false when the rows do not line up with devs (the caller then reloads everything).
func refreshStatus(ctx context.Context, q querier, devs []alert.Device) (bool, error) {
	rows, err := q.Query(ctx, `SELECT d.id, `+snapshotStatusCols+snapshotFrom)
	if err != nil {
		return false, fmt.Errorf("load device status: %w", err)
	}
	defer rows.Close()
	i := 0
	var id int64
	var st statusScan
	var scratch alert.Device
	for rows.Next() {
		d := &scratch
		if i < len(devs) {
			d = &devs[i]
		}
		if err := rows.Scan(append([]any{&id}, st.dest(d)...)...); err != nil {
			return false, fmt.Errorf("load device status: %w", err)
		}
		if d == &scratch || d.ID != id {
			return false, nil
		}
		st.apply(d)
		i++
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("load device status: %w", err)
	}
	return i == len(devs), nil
}

// statusScan holds the nullable status columns of one row.
type statusScan struct {
	loss, rtt, jit, cpu, mem, up *float64
}

func (s *statusScan) dest(d *alert.Device) []any {
	return []any{&d.Status, &s.loss, &s.rtt, &s.jit, &d.SNMP, &d.SNMPOK, &s.cpu, &s.mem, &s.up}
}

func (s *statusScan) apply(d *alert.Device) {
	d.LossPct, d.RTTMS, d.JitterMS = orNaN(s.loss), orNaN(s.rtt), orNaN(s.jit)
	d.CPUPct, d.MemPct, d.UptimeS = orNaN(s.cpu), orNaN(s.mem), orNaN(s.up)
}
