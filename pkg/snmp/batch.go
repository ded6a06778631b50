package snmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
)

// BatchHandler is the asynq handler of tasks.TypeSNMPBatch.
func (s *Service) BatchHandler() asynq.Handler { return asynq.HandlerFunc(s.ProcessBatch) }

// ProcessBatch handles one tasks.TypeSNMPBatch task: it polls the batch's devices, unless the
// slot is already over (then the batch is skipped and counted, never run late; a rescued batch
// may start until its StartBy). Device failures are recorded per device and do not fail the
// task; only storage failures do (asynq retries then, and a retry is harmless: the baseline
// moves only with a committed poll).
func (s *Service) ProcessBatch(ctx context.Context, t *asynq.Task) error {
	var p tasks.BatchPayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	log := s.p.Logger.With("task", t.Type(), "slot", p.Slot, "batch", p.Batch)
	if now, by := s.p.Now(), p.LatestStart(); now.After(by) {
		s.m.batch("skipped_late")
		log.Warn("snmp batch skipped: slot over", "deadline", by, "late_by", now.Sub(by))
		return nil
	}
	rep, err := s.PollBatch(ctx, p.DeviceIDs)
	if err != nil {
		s.m.batch("error")
		return err
	}
	s.m.batch("ok")
	log.Info("snmp batch polled", "devices", rep.Devices, "ok", rep.OK, "failed", rep.Failed,
		"unconfigured", rep.Unconfigured, "took", rep.Took)
	return nil
}

// BatchReport sums up one PollBatch.
type BatchReport struct {
	// Devices asked for; OK and Failed polls; Unconfigured (no settings) and Disabled skipped.
	Devices, OK, Failed, Unconfigured, Disabled int
	Took                                        time.Duration
}

// job is one device to poll.
type job struct {
	dev    store.Device
	target Target
	extra  []ExtraOID
	prev   *Previous
	cfgErr error
}

// result is the outcome of one job.
type result struct {
	reading *Reading
	err     error
	took    time.Duration
	at      time.Time
}

// PollBatch polls devices concurrently (Params.Concurrency at a time, each bounded by
// Params.DeviceBudget), then stores states, interfaces and events in one transaction and
// writes the series. An unreachable device costs its own timeout, not the others'.
func (s *Service) PollBatch(ctx context.Context, ids []int64) (BatchReport, error) {
	start := s.p.Now()
	rep := BatchReport{Devices: len(ids)}
	jobs, err := s.prepare(ctx, ids, &rep)
	if err != nil {
		return rep, err
	}
	results := s.pollAll(ctx, jobs)
	if err := ctx.Err(); err != nil {
		// The task was cancelled (deadline or shutdown): store nothing half-done.
		return rep, fmt.Errorf("snmp batch: %w", err)
	}
	recs := make([]store.SNMPPollRecord, 0, len(jobs))
	var samples []tsdb.Sample
	for i, j := range jobs {
		rec, ss := s.settle(j, results[i], &rep)
		recs = append(recs, rec)
		samples = append(samples, ss...)
	}
	if err := s.p.Store.SaveSNMPPolls(ctx, recs); err != nil {
		return rep, err
	}
	if s.p.Samples != nil && len(samples) > 0 {
		if err := s.p.Samples.Write(ctx, samples); err != nil {
			return rep, fmt.Errorf("write %d SNMP samples: %w", len(samples), err)
		}
	}
	rep.Took = s.p.Now().Sub(start)
	return rep, nil
}

// prepare loads devices, settings and baselines (three queries) and resolves each device's
// target.
func (s *Service) prepare(ctx context.Context, ids []int64, rep *BatchReport) ([]job, error) {
	devs, err := s.p.Devices.DevicesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("snmp batch: %w", err)
	}
	cfgs, err := s.p.Store.SNMPConfigs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("snmp batch: %w", err)
	}
	prevs, err := s.p.Store.SNMPPrevious(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("snmp batch: %w", err)
	}
	jobs := make([]job, 0, len(devs))
	for _, d := range devs {
		if !d.Enabled {
			rep.Disabled++
			continue
		}
		j, ok := s.resolve(d, cfgs[d.ID])
		if !ok {
			rep.Unconfigured++
			continue
		}
		if p, ok := prevs[d.ID]; ok {
			j.prev = previousFromStore(p)
		}
		jobs = append(jobs, j)
	}
	s.m.unconfigured(rep.Unconfigured)
	return jobs, nil
}

// resolve picks the device's own settings, else its profile's; false when it has neither.
func (s *Service) resolve(d store.Device, c store.SNMPDeviceConfig) (job, bool) {
	j := job{dev: d}
	var set Settings
	var err error
	switch {
	case c.Device != nil:
		set, err = settingsFromConfig(*c.Device, s.p.Secrets, owner{"device", d.ID}, true)
	case c.Profile != nil && c.ProfileID != nil:
		set, err = settingsFromConfig(*c.Profile, s.p.Secrets, owner{"profile", *c.ProfileID}, true)
	default:
		return j, false
	}
	j.cfgErr = err
	j.target = TargetFor(d.IP, set)
	if len(c.ExtraOIDs) > 0 {
		var list []ExtraOID
		if err := json.Unmarshal(c.ExtraOIDs, &list); err == nil {
			list, err = NormalizeExtraOIDs(list)
			if err == nil {
				j.extra = list
			}
		}
		if err != nil {
			s.p.Logger.Warn("ignoring invalid extra OIDs of profile", "device", d.ID, "err", err)
		}
	}
	return j, true
}

// pollAll polls every job, Concurrency at a time. Each poll has its own GoSNMP value and its
// own deadline.
func (s *Service) pollAll(ctx context.Context, jobs []job) []result {
	results := make([]result, len(jobs))
	sem := make(chan struct{}, s.p.Concurrency)
	var wg sync.WaitGroup
	for i := range jobs {
		if jobs[i].cfgErr != nil {
			results[i] = result{err: jobs[i].cfgErr, at: s.p.Now()}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = result{err: classify(ctx.Err(), jobs[i].target), at: s.p.Now()}
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = s.pollOne(ctx, jobs[i])
		}(i)
	}
	wg.Wait()
	return results
}

func (s *Service) pollOne(ctx context.Context, j job) result {
	ctx, cancel := context.WithTimeout(ctx, s.p.DeviceBudget)
	defer cancel()
	start := s.p.Now()
	r, err := s.poller.Poll(ctx, j.target, j.extra)
	end := s.p.Now()
	return result{reading: r, err: err, took: end.Sub(start), at: end}
}

// settle turns one poll result into its record and samples.
func (s *Service) settle(j job, res result, rep *BatchReport) (store.SNMPPollRecord, []tsdb.Sample) {
	if res.err != nil {
		rep.Failed++
		s.m.poll(KindOf(res.err), res.took)
		s.logFailure(j, res.err)
		return failureRecord(j.dev.ID, res.at, res.took, res.err), failureSamples(j.dev, res.at)
	}
	rep.OK++
	s.m.poll("", res.took)
	o := Evaluate(j.prev, res.reading)
	s.m.notComputed(o.NotComputed)
	if o.Rebooted {
		s.p.Logger.Info("device rebooted", "device", j.dev.ID, "name", j.dev.Name)
	}
	return successRecord(j.dev, res.reading, o), pollSamples(j.dev, res.reading, o)
}

func (s *Service) logFailure(j job, err error) {
	level := slog.LevelWarn
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrRefused) {
		level = slog.LevelInfo // unreachable devices are routine; ping status says more
	}
	s.p.Logger.Log(context.Background(), level, "snmp poll failed", "device", j.dev.ID, "name", j.dev.Name,
		"target", j.target.Address(), "kind", KindOf(err), "err", err)
}
