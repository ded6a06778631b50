package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
)

// PingParams configures the ping handlers.
type PingParams struct {
	Store    PingStore
	Pinger   Pinger
	Profiles ProfileSource
	// Samples may be nil (no time-series database).
	Samples  SampleWriter
	Events   Publisher
	Redis    redis.UniversalClient
	Client   Enqueuer
	Defaults probe.Options
	Logger   *slog.Logger
	Skipped  func(taskType string)
	CycleLag func(lag time.Duration)
}

// PingHandler pings batches of devices (scheduled) and single devices (on demand).
type PingHandler struct {
	p PingParams
}

// NewPingHandler returns the ping handler.
func NewPingHandler(p PingParams) *PingHandler {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &PingHandler{p: p}
}

// ProcessBatch handles tasks.TypePingBatch: it pings and stores the batch, unless the slot is
// over (then the batch is skipped and counted). Batches.Wrap counts it done.
func (h *PingHandler) ProcessBatch(ctx context.Context, t *asynq.Task) error {
	var p tasks.BatchPayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := h.p.Logger.With("task", t.Type(), "slot", p.Slot, "batch", p.Batch)
	if time.Now().After(p.LatestStart()) {
		countSkip(ctx, h.p.Redis, h.p.Skipped, t.Type(), log, p.CyclePayload)
		return nil
	}
	if h.p.CycleLag != nil {
		h.p.CycleLag(time.Since(p.SlotStart))
	}
	_, err := h.pingAndStore(ctx, log, p.DeviceIDs, p.SlotStart)
	return err
}

// DeviceResult is the JSON result of an on-demand ping.
type DeviceResult struct {
	DeviceID   int64         `json:"device_id"`
	Status     device.Status `json:"status"`
	Sent       int           `json:"sent"`
	Received   int           `json:"received"`
	LossPct    float64       `json:"loss_pct"`
	RTTMinMS   *float64      `json:"rtt_min_ms"`
	RTTAvgMS   *float64      `json:"rtt_avg_ms"`
	RTTMaxMS   *float64      `json:"rtt_max_ms"`
	JitterMS   *float64      `json:"jitter_ms"`
	MeasuredAt time.Time     `json:"measured_at"`
}

// ProcessDevice handles tasks.TypePingDevice: one device now; the result is stored like a
// scheduled one and written as the task's result.
func (h *PingHandler) ProcessDevice(ctx context.Context, t *asynq.Task) error {
	var p tasks.DevicePayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := h.p.Logger.With("task", t.Type(), "device", p.DeviceID)
	// the slot of an on-demand ping is the second it was asked for: a retry replaces its row
	results, err := h.pingAndStore(ctx, log, []int64{p.DeviceID}, time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("device %d: %w: %w", p.DeviceID, store.ErrNotFound, asynq.SkipRetry)
	}
	r := results[0]
	out := DeviceResult{DeviceID: r.DeviceID, Status: r.Status, Sent: r.Sent, Received: r.Received, LossPct: r.LossPct,
		RTTMinMS: r.RTTMinMS, RTTAvgMS: r.RTTAvgMS, RTTMaxMS: r.RTTMaxMS, JitterMS: r.JitterMS, MeasuredAt: r.MeasuredAt}
	if w := t.ResultWriter(); w != nil {
		if _, err := w.Write(tasks.Encode(out)); err != nil {
			return fmt.Errorf("write ping result: %w", err)
		}
	}
	return nil
}

// pingAndStore pings the devices (grouped by profile), stores the results and the status
// changes, writes samples and publishes the changes.
func (h *PingHandler) pingAndStore(ctx context.Context, log *slog.Logger, ids []int64, slot time.Time) ([]store.PingResult, error) {
	devs, err := h.p.Store.DevicesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	profiles, err := h.p.Profiles.Get(ctx)
	if err != nil {
		log.Warn("profiles unavailable, using defaults", "err", err)
	}
	results := h.ping(ctx, devs, profiles, slot)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ping batch: %w", err) // timed out: let asynq retry the whole batch
	}
	if err := h.judge(ctx, results, devs, profiles, slot); err != nil {
		return nil, err
	}
	changes, err := h.p.Store.WritePingResults(ctx, results)
	if err != nil {
		return nil, err
	}
	if h.p.Samples != nil {
		if err := h.p.Samples.Write(ctx, pingSamples(devs, results)); err != nil {
			// the sink spools what it cannot deliver; an error here means even the spool failed
			log.Error("write ping samples", "err", err)
		}
	}
	for _, c := range changes {
		if err := h.p.Events.Publish(ctx, "status", c); err != nil {
			log.Warn("publish status change", "device", c.DeviceID, "err", err)
		}
	}
	log.Debug("batch stored", "devices", len(results), "changes", len(changes))
	return results, nil
}

// ping groups devices by profile so each group uses its own count/spacing/timeout.
func (h *PingHandler) ping(ctx context.Context, devs []store.Device, profiles []store.Profile, slot time.Time) []store.PingResult {
	byID := make(map[int64]store.Profile, len(profiles))
	for _, p := range profiles {
		byID[p.ID] = p
	}
	type group struct {
		opts    probe.Options
		targets []probe.Target
	}
	groups := map[int64]*group{}
	for _, d := range devs {
		var pid int64
		if d.EffectiveProfileID != nil { // device > branch > type; else the configured defaults
			pid = *d.EffectiveProfileID
		}
		g := groups[pid]
		if g == nil {
			g = &group{opts: h.p.Defaults}
			if pr, ok := byID[pid]; ok {
				g.opts = probe.Options{Count: pr.PingCount, Spacing: time.Duration(pr.PingIntervalMS) * time.Millisecond,
					Timeout: time.Duration(pr.PingTimeoutMS) * time.Millisecond}
			}
			groups[pid] = g
		}
		g.targets = append(g.targets, probe.Target{ID: d.ID, Addr: d.IP})
	}
	// the groups ping at once (the engine takes concurrent callers), so a batch takes as long as
	// its slowest profile, not the sum of them: the schedule's ping interval is checked against
	// the slowest one alone (schedule.FitCheck)
	results := make([][]probe.Result, 0, len(groups))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := h.p.Pinger.PingAll(ctx, g.targets, g.opts)
			mu.Lock()
			results = append(results, rs)
			mu.Unlock()
		}()
	}
	wg.Wait()
	out := make([]store.PingResult, 0, len(devs))
	for _, rs := range results {
		for _, r := range rs {
			out = append(out, toPingResult(r, slot))
		}
	}
	return out
}

// toPingResult turns a probe result into a stored one; its status is the cycle's alone (down
// at 100% loss, degraded at any loss, up otherwise) until judge takes the window verdict.
func toPingResult(r probe.Result, slot time.Time) store.PingResult {
	pr := store.PingResult{DeviceID: r.ID, SlotAt: slot, MeasuredAt: r.At, Sent: r.Sent, Received: r.Received, LossPct: r.LossPct()}
	if pr.MeasuredAt.IsZero() {
		pr.MeasuredAt = time.Now().UTC()
	}
	lo, avg, hi, sd, ok := r.Stats()
	switch {
	case !ok || r.Received == 0:
		pr.Status = store.StatusDown
	case pr.LossPct > 0:
		pr.Status = store.StatusDegraded
	default:
		pr.Status = store.StatusUp
	}
	if ok {
		pr.RTTMinMS, pr.RTTAvgMS, pr.RTTMaxMS = ms(lo), ms(avg), ms(hi)
		// jitter is the population standard deviation of the replies' RTTs: one reply has none
		// (null in the database and the API, no sample in VictoriaMetrics), not 0
		if r.Received >= 2 {
			pr.JitterMS = ms(sd)
		}
	}
	return pr
}

// judge replaces each result's status with the windowed verdict (Verdict) of its profile,
// from the device's stored status and its last 3K-1 cycles (StatusPolicy.HistoryCycles).
func (h *PingHandler) judge(ctx context.Context, results []store.PingResult, devs []store.Device, profiles []store.Profile, slot time.Time) error {
	byID := make(map[int64]*store.Profile, len(profiles))
	for i := range profiles {
		byID[profiles[i].ID] = &profiles[i]
	}
	pols := make(map[int64]StatusPolicy, len(devs))
	ids, longest := make([]int64, 0, len(devs)), 0
	for _, d := range devs {
		var pr *store.Profile
		if d.EffectiveProfileID != nil { // device > branch > type, as the ping settings
			pr = byID[*d.EffectiveProfileID]
		}
		pol := policyOf(pr)
		pols[d.ID], longest = pol, max(longest, pol.HistoryCycles())
		ids = append(ids, d.ID)
	}
	hist, err := h.p.Store.RecentPings(ctx, ids, slot, longest)
	if err != nil {
		return err
	}
	for i := range results {
		r := &results[i]
		hh := hist[r.DeviceID]
		r.Status = Verdict(hh.Status, Cycle{Sent: r.Sent, Received: r.Received}, hh.Cycles, pols[r.DeviceID])
	}
	return nil
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// pingSamples builds the time series of a batch, stamped with the slot start so that a retried
// task writes the same timestamps.
func pingSamples(devs []store.Device, results []store.PingResult) []tsdb.Sample {
	byID := make(map[int64]store.Device, len(devs))
	for _, d := range devs {
		byID[d.ID] = d
	}
	out := make([]tsdb.Sample, 0, len(results)*6)
	for _, r := range results {
		d := byID[r.DeviceID]
		labels := tsdb.DeviceLabels{ID: d.ID, Name: d.Name, Branch: d.Branch, Region: d.Region, Type: d.Type}
		out = append(out, tsdb.PingSamples(labels, r.SlotAt, r)...)
	}
	return out
}
