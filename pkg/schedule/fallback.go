package schedule

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// FallbackSource lets the scheduler start while the database is down: until Stored has
// answered once it yields Defaults (the environment's jobs, what a fresh database is seeded
// with), so pings go on; on the first answer it runs Seed (store the defaults a fresh database
// lacks) and from then on the stored schedule rules. A later outage is Stored's error, and the
// scheduler keeps the jobs it runs (as without a fallback).
type FallbackSource struct {
	Stored Source
	// Defaults are run until Stored answers.
	Defaults []Job
	// Seed, if set, runs before Stored's first read (SeedSchedule); a failure is retried at
	// the next reload with the defaults still running.
	Seed   func(ctx context.Context) error
	Logger *slog.Logger

	mu      sync.Mutex
	reached bool // Stored has answered
	warned  bool // the fallback has been logged
}

var _ Source = (*FallbackSource)(nil)

// Jobs returns the stored jobs once the database answers, the defaults until then.
func (f *FallbackSource) Jobs(ctx context.Context) ([]Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reached {
		return f.Stored.Jobs(ctx)
	}
	err := ctx.Err()
	if err == nil && f.Seed != nil {
		err = f.Seed(ctx)
	}
	var jobs []Job
	if err == nil {
		jobs, err = f.Stored.Jobs(ctx)
	}
	if err != nil {
		if !f.warned && ctx.Err() == nil {
			f.logger().Warn("schedule database unavailable; running the environment's schedule until it answers",
				"err", err, "jobs", len(f.Defaults))
			f.warned = true
		}
		return slices.Clone(f.Defaults), nil
	}
	f.reached = true
	if f.warned {
		f.logger().Info("schedule database answers; running the stored schedule", "jobs", len(jobs))
	}
	return jobs, nil
}

func (f *FallbackSource) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger
}
