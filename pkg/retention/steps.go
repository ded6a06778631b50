package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// rollup rolls up every settled hour since the watermark (minus Rewind, to count late
// writes), or, on the first run, since the oldest ping_results partition.
func (r *Retention) rollup(ctx context.Context, now time.Time, rep *Report) error {
	to := now.Add(-r.p.Settle).Truncate(time.Hour)
	wm, found, err := r.p.Store.OpsState(ctx, store.OpsRollupWatermark, nil)
	if err != nil {
		return err
	}
	parts, err := r.p.Store.ListPartitions(ctx, store.PingResultsTable)
	if err != nil {
		return err
	}
	from := to
	if found {
		from = wm.Add(-r.p.Rewind).Truncate(time.Hour)
	}
	if oldest, ok := oldestAttached(parts); ok && (!found || oldest.After(from)) {
		from = oldest // nothing to roll up before the oldest partition
	}
	rep.RolledFrom, rep.RolledTo = from, from
	if !from.Before(to) {
		return nil
	}
	rep.RolledTo = to
	return r.rollupRange(ctx, from, to, wm, true, rep)
}

func oldestAttached(parts []store.Partition) (time.Time, bool) {
	for _, p := range parts { // oldest first
		if p.Attached {
			return p.From, true
		}
	}
	return time.Time{}, false
}

// rollupRange rolls up [from, to) an hour per statement (each a short transaction that a large
// fleet still finishes quickly). With advance, the watermark follows the hours done (saved
// every day of hours and at the end, also after a failure), so an interrupted run resumes
// about where it stopped.
func (r *Retention) rollupRange(ctx context.Context, from, to, wm time.Time, advance bool, rep *Report) (err error) {
	if err := r.p.Store.EnsureHourlyPartitions(ctx, from, to); err != nil {
		return err
	}
	saved := wm
	save := func() error {
		if !advance || !wm.After(saved) {
			return nil
		}
		saved = wm
		return r.p.Store.SetOpsState(context.WithoutCancel(ctx), store.OpsRollupWatermark, wm, nil)
	}
	defer func() { err = errors.Join(err, save()) }()
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		n, err := r.p.Store.RollupPing(ctx, h, h.Add(time.Hour), r.p.RollupTimeout)
		if err != nil {
			return err
		}
		rep.RolledRows += n
		if h.Add(time.Hour).After(wm) {
			wm = h.Add(time.Hour)
		}
		if wm.Sub(saved) >= Day {
			if err := save(); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropPing drops the ping_results partitions wholly older than the retention, each after
// making sure its hours are rolled up.
func (r *Retention) dropPing(ctx context.Context, now time.Time, rep *Report) error {
	cutoff := now.Add(-r.p.Config.Ping)
	parts, err := r.p.Store.ListPartitions(ctx, store.PingResultsTable)
	if err != nil {
		return err
	}
	wm, found, err := r.p.Store.OpsState(ctx, store.OpsRollupWatermark, nil)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range parts {
		if p.To.After(cutoff) {
			continue
		}
		// a detached left-over was rolled up before its detach began
		if p.Attached && !p.DetachPending && (!found || p.To.After(wm)) {
			if err := r.rollupRange(ctx, p.From, p.To, wm, false, rep); err != nil {
				errs = append(errs, fmt.Errorf("keep %s: its roll-up failed: %w", p.Name, err))
				continue
			}
		}
		if err := r.p.Store.DropPartition(ctx, store.PingResultsTable, p, r.p.LockWait); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.DroppedPing = append(rep.DroppedPing, p.Name)
	}
	return errors.Join(errs...)
}

// dropHourly drops the ping_hourly month partitions wholly older than the roll-up retention.
func (r *Retention) dropHourly(ctx context.Context, now time.Time, rep *Report) error {
	cutoff := now.Add(-r.p.Config.Rollup)
	parts, err := r.p.Store.ListPartitions(ctx, store.PingHourlyTable)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range parts {
		if p.To.After(cutoff) {
			continue
		}
		if err := r.p.Store.DropPartition(ctx, store.PingHourlyTable, p, r.p.LockWait); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.DroppedHourly = append(rep.DroppedHourly, p.Name)
	}
	return errors.Join(errs...)
}

// purgeRetention maps each purge target to its retention (0: kept forever).
func (r *Retention) purgeRetention() map[store.PurgeTarget]time.Duration {
	c := r.p.Config
	return map[store.PurgeTarget]time.Duration{
		store.PurgeDeviceEvents: c.Events, store.PurgeAlerts: c.Alerts, store.PurgeIncidents: c.Alerts,
		store.PurgeDeliveries: c.Alerts, store.PurgeAudit: c.Audit, store.PurgeWorkerHealth: c.WorkerHealth,
		store.PurgeDevices: c.deletedDevices(),
	}
}

// deletedDevices is how long a deleted device's row is kept: until its raw pings, roll-ups,
// events and alerts have all aged out (0, forever, while events or alerts are kept forever).
func (c Config) deletedDevices() time.Duration {
	if c.Events <= 0 || c.Alerts <= 0 {
		return 0
	}
	return max(c.Ping, c.Rollup, c.Events, c.Alerts)
}

// purge deletes old rows table by table in batches of PurgeBatch, each batch its own short
// transaction, so no lock is held long and a cancelled run keeps what it deleted.
func (r *Retention) purge(ctx context.Context, now time.Time, rep *Report) error {
	keep := r.purgeRetention()
	var errs []error
	for _, target := range store.PurgeTargets {
		if keep[target] <= 0 {
			continue
		}
		before := now.Add(-keep[target])
		for {
			n, err := r.p.Store.PurgeBatch(ctx, target, before, r.p.PurgeBatch)
			rep.Purged[target] += n
			if err != nil {
				errs = append(errs, err)
				break
			}
			if n < int64(r.p.PurgeBatch) {
				break
			}
			if err := ctx.Err(); err != nil {
				return errors.Join(append(errs, fmt.Errorf("purge %s: %w", target, err))...)
			}
		}
	}
	return errors.Join(errs...)
}
