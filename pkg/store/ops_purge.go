package store

import (
	"context"
	"fmt"
	"time"
)

// PurgeTarget names a table whose old rows retention deletes in batches. These tables grow
// with changes, not with the fleet's size (a status change, an alert, a user's write, a
// 5-minute sample), so batched deletes by an indexed time stay cheap; ping_results, which grows
// with every ping, is dropped by partition instead.
type PurgeTarget string

// Purge targets.
const (
	// PurgeDeviceEvents: device_events older than the cut-off (index device_events_at_idx).
	PurgeDeviceEvents PurgeTarget = "device_events"
	// PurgeAlerts: resolved alerts resolved before the cut-off, with their events and
	// deliveries (ON DELETE CASCADE). Open alerts are never deleted.
	PurgeAlerts PurgeTarget = "alerts"
	// PurgeIncidents: resolved incidents resolved before the cut-off.
	PurgeIncidents PurgeTarget = "incidents"
	// PurgeDeliveries: finished deliveries (delivered or failed) created before the cut-off
	// whose alert is already gone or that had none.
	PurgeDeliveries PurgeTarget = "deliveries"
	// PurgeAudit: audit_log rows older than the cut-off (index audit_log_at_idx).
	PurgeAudit PurgeTarget = "audit_log"
	// PurgeWorkerHealth: worker_health samples older than the cut-off.
	PurgeWorkerHealth PurgeTarget = "worker_health"
	// PurgeDevices: devices deleted before the cut-off, with their status, events, SNMP
	// settings and interfaces (ON DELETE CASCADE); retention sets the cut-off past every
	// history the device appears in.
	PurgeDevices PurgeTarget = "devices"
)

// purgeSQL deletes at most $2 rows older than $1; each statement is its own short transaction.
var purgeSQL = map[PurgeTarget]string{
	PurgeDeviceEvents: `DELETE FROM device_events WHERE id IN
		(SELECT id FROM device_events WHERE at < $1 ORDER BY at LIMIT $2)`,
	PurgeAlerts: `DELETE FROM alerts WHERE id IN
		(SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < $1 ORDER BY id LIMIT $2)`,
	PurgeIncidents: `DELETE FROM incidents WHERE id IN
		(SELECT id FROM incidents WHERE state = 'resolved' AND resolved_at < $1 ORDER BY id LIMIT $2)`,
	PurgeDeliveries: `DELETE FROM deliveries WHERE id IN
		(SELECT id FROM deliveries WHERE alert_id IS NULL AND state IN ('delivered', 'failed')
		 AND created_at < $1 ORDER BY id LIMIT $2)`,
	PurgeAudit: `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`,
	PurgeWorkerHealth: `DELETE FROM worker_health WHERE at IN
		(SELECT at FROM worker_health WHERE at < $1 ORDER BY at LIMIT $2)`,
	PurgeDevices: `DELETE FROM devices WHERE id IN
		(SELECT id FROM devices WHERE deleted_at < $1 ORDER BY deleted_at LIMIT $2)`,
}

// PurgeTargets lists every target, in the order retention purges them (alerts before
// incidents, so an incident's alerts go first).
var PurgeTargets = []PurgeTarget{PurgeDeviceEvents, PurgeAlerts, PurgeIncidents, PurgeDeliveries, PurgeAudit, PurgeWorkerHealth, PurgeDevices}

// PurgeBatch deletes at most limit rows of target older than before and returns how many it
// deleted; the caller repeats while it returns limit.
func (s *Store) PurgeBatch(ctx context.Context, target PurgeTarget, before time.Time, limit int) (int64, error) {
	q, ok := purgeSQL[target]
	if !ok {
		return 0, fmt.Errorf("purge %q: unknown target", target)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, q, before.UTC(), limit)
	if err != nil {
		return 0, fmt.Errorf("purge %s before %s: %w", target, before.UTC().Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}
