package schedule

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Jobs returns the jobs the scheduler runs now.
func (s *Scheduler) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.jobs)
}

// running is one job's emission loop.
type running struct {
	job    Job
	cancel context.CancelFunc
	done   chan struct{}
}

// superviseJobs runs one loop per job until ctx ends. With a Source it reads the jobs again
// every Reload: a changed job's loop is stopped (after any emission in flight) and started
// again with the new interval, so the change applies from the job's next slot; a removed or
// disabled job stops; a new one starts. It returns after every loop has stopped.
func (s *Scheduler) superviseJobs(ctx context.Context) {
	loops := map[string]*running{}
	defer func() {
		for _, r := range loops {
			r.cancel()
			<-r.done
		}
	}()
	tick := time.NewTicker(s.p.Reload)
	defer tick.Stop()
	for {
		if jobs, ok := s.loadJobs(ctx); ok {
			s.apply(ctx, loops, jobs)
		}
		if s.p.Source == nil {
			<-ctx.Done()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// loadJobs reads the jobs to run; false (keep the running ones) when the Source fails.
func (s *Scheduler) loadJobs(ctx context.Context) ([]Job, bool) {
	if s.p.Source == nil {
		return s.p.Jobs, true
	}
	jobs, err := s.p.Source.Jobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.p.Logger.Warn("read schedule; keeping the running jobs", "err", err)
		}
		return nil, false
	}
	return jobs, true
}

// apply stops the loops of changed or removed jobs and starts the loops of new or changed ones.
func (s *Scheduler) apply(ctx context.Context, loops map[string]*running, jobs []Job) {
	want := map[string]Job{}
	for _, j := range jobs {
		want[j.TaskType] = j
	}
	var wg sync.WaitGroup
	for typ, r := range loops {
		if j, ok := want[typ]; !ok || j != r.job {
			r.cancel()
			wg.Add(1)
			go func() { defer wg.Done(); <-r.done }()
			delete(loops, typ)
			s.p.Logger.Info("schedule changed", "task", typ, "old_interval", r.job.Interval, "new_interval", j.Interval,
				"new_offset", j.Offset, "running", ok)
		}
	}
	wg.Wait()
	for typ, j := range want {
		if _, ok := loops[typ]; ok {
			continue
		}
		jctx, cancel := context.WithCancel(ctx)
		r := &running{job: j, cancel: cancel, done: make(chan struct{})}
		loops[typ] = r
		go func() { defer close(r.done); s.runJob(jctx, j) }()
	}
	s.mu.Lock()
	changed := !slices.Equal(s.jobs, jobs)
	s.jobs = slices.Clone(jobs)
	s.mu.Unlock()
	if changed && s.IsLeader() { // asynqmon lists the new spec and next run at once
		s.logEntries(writeEntries(ctx, s.p.Redis, s.p.Owner, jobs, time.Now(), entryTTL(s.p.LeaderTTL)))
	}
}
