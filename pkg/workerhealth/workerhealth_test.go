package workerhealth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/pkg/workerhealth"
)

// fakeInspector answers from fixed data and records the queues asked for.
type fakeInspector struct {
	servers []*asynq.ServerInfo
	queues  map[string]*asynq.QueueInfo
	err     error
	asked   []string
}

func (f *fakeInspector) Servers() ([]*asynq.ServerInfo, error) { return f.servers, f.err }

func (f *fakeInspector) Queues() ([]string, error) {
	var out []string
	for q := range f.queues {
		out = append(out, q)
	}
	return out, f.err
}

func (f *fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	f.asked = append(f.asked, q)
	return f.queues[q], nil
}

type fakeSpool struct {
	st  tsdb.SpoolStatus
	err error
}

func (f fakeSpool) Status(context.Context) (tsdb.SpoolStatus, error) { return f.st, f.err }

var (
	slot    = time.Date(2026, 3, 1, 12, 5, 0, 0, time.UTC)
	started = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
)

func twoServers() []*asynq.ServerInfo {
	return []*asynq.ServerInfo{
		{ID: "b", Host: "w2", PID: 20, Concurrency: 50, Status: "active", Started: started,
			ActiveWorkers: []*asynq.WorkerInfo{{TaskType: tasks.TypePingBatch}, {TaskType: tasks.TypeWorkerHealth}}},
		{ID: "a", Host: "w1", PID: 10, Concurrency: 50, Status: "active", Started: started,
			ActiveWorkers: []*asynq.WorkerInfo{{TaskType: tasks.TypePingBatch}, {TaskType: tasks.TypeSNMPBatch}, {TaskType: tasks.TypeNotify}}},
	}
}

func queueInfos() map[string]*asynq.QueueInfo {
	return map[string]*asynq.QueueInfo{
		"default":  {Queue: "default", Pending: 1200, Active: 4, Retry: 2, Archived: 1, Latency: 1500 * time.Millisecond, Processed: 100, Failed: 3},
		"critical": {Queue: "critical", Pending: 3, Active: 1, Latency: 20 * time.Millisecond},
		"low":      {Queue: "low", Pending: 7, Scheduled: 1, Retry: 1, Latency: 4 * time.Second, Paused: true},
	}
}

// TestTake: totals over servers and queues; the worker-health task does not count as busy;
// queues sorted by name; the largest queue and the oldest pending task are found.
func TestTake(t *testing.T) {
	cases := []struct {
		name    string
		in      *fakeInspector
		spool   workerhealth.SpoolStatuser
		want    store.WorkerHealth
		wantErr string
	}{
		{name: "no workers, no queues", in: &fakeInspector{},
			want: store.WorkerHealth{At: slot, SampledAt: slot.Add(time.Second), ServerList: []store.ServerHealth{}}},
		{name: "two workers, three queues, spool", in: &fakeInspector{servers: twoServers(), queues: queueInfos()},
			spool: fakeSpool{st: tsdb.SpoolStatus{Samples: 500, Dropped: 7}},
			want: store.WorkerHealth{At: slot, SampledAt: slot.Add(time.Second), Servers: 2, Concurrency: 100, Busy: 4,
				Pending: 1210, MaxPending: 1200, MaxPendingQueue: "default", Active: 5, Retry: 3, Archived: 1, MaxLatencyMS: 4000,
				SpoolSamples: 500, SpoolDropped: 7,
				Queues: []store.QueueHealth{
					{Name: "critical", Pending: 3, Active: 1, LatencyMS: 20},
					{Name: "default", Pending: 1200, Active: 4, Retry: 2, Archived: 1, LatencyMS: 1500, ProcessedToday: 100, FailedToday: 3},
					{Name: "low", Pending: 7, Scheduled: 1, Retry: 1, LatencyMS: 4000, Paused: true},
				},
				ServerList: []store.ServerHealth{
					{ID: "a", Host: "w1", PID: 10, Concurrency: 50, Busy: 3, Status: "active", Started: started},
					{ID: "b", Host: "w2", PID: 20, Concurrency: 50, Busy: 1, Status: "active", Started: started},
				}}},
		{name: "redis down", in: &fakeInspector{err: errors.New("connection refused")}, wantErr: "list worker servers: connection refused"},
		{name: "spool unreadable", in: &fakeInspector{}, spool: fakeSpool{err: errors.New("db down")}, wantErr: "read spool status: db down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := workerhealth.Take(context.Background(), tc.in, tc.spool, slot, slot.Add(time.Second))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("sample (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	w := store.WorkerHealth{Servers: 2, Busy: 4, Pending: 1210, MaxPending: 1200, Retry: 3, Archived: 1, SpoolSamples: 500, SpoolDropped: 7}
	want := map[string]float64{"workers": 2, "busy_workers": 4, "queue_pending": 1200, "queue_retry": 3, "queue_archived": 1,
		"spool_samples": 500, "spool_dropped": 7}
	if diff := cmp.Diff(want, workerhealth.Metrics(w)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}

type fakeReader struct {
	w   store.WorkerHealth
	err error
}

func (f fakeReader) LatestWorkerHealth(context.Context) (store.WorkerHealth, error) {
	return f.w, f.err
}

// TestCheck: the live verdict stands; a stale stored sample degrades a healthy one; no sample
// yet (a fresh install) or an unreadable one does not.
func TestCheck(t *testing.T) {
	now := slot.Add(time.Hour)
	live := func(level string) health.Check {
		return func(context.Context) health.Component {
			return health.Component{Level: level, Reason: "2 workers, 0 busy"}
		}
	}
	cases := []struct {
		name       string
		live       string
		r          fakeReader
		wantLevel  string
		wantReason string
	}{
		{"fresh sample", health.Healthy, fakeReader{w: store.WorkerHealth{SampledAt: now.Add(-4 * time.Minute)}},
			health.Healthy, "2 workers, 0 busy"},
		{"stale sample", health.Healthy, fakeReader{w: store.WorkerHealth{SampledAt: now.Add(-17 * time.Minute)}},
			health.Degraded, "2 workers, 0 busy; no worker-health sample for 17m0s: is the scheduler running?"},
		{"stale but already critical", health.Critical, fakeReader{w: store.WorkerHealth{SampledAt: now.Add(-time.Hour)}},
			health.Critical, "2 workers, 0 busy"},
		{"no sample yet", health.Healthy, fakeReader{err: store.ErrNotFound}, health.Healthy, "2 workers, 0 busy"},
		{"unreadable", health.Healthy, fakeReader{err: errors.New("timeout")}, health.Healthy, "2 workers, 0 busy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := workerhealth.Check(tc.r, live(tc.live), 5*time.Minute, func() time.Time { return now })
			got := check(context.Background())
			if diff := cmp.Diff([]string{tc.wantLevel, tc.wantReason}, []string{got.Level, got.Reason}); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if tc.r.err == nil && got.Detail["last_sample_at"] == nil {
				t.Errorf("detail %v lacks the sample's time", got.Detail)
			}
		})
	}
}

func TestJob(t *testing.T) {
	want := []string{tasks.TypeWorkerHealth, tasks.QueueCritical, "5m0s", "1m0s"}
	got := []string{workerhealth.Job(0).TaskType, workerhealth.Job(0).Queue, workerhealth.Job(0).Interval.String(), workerhealth.Job(time.Minute).Interval.String()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("job (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(workerhealth.EvalTaskID(7), tasks.TypeAlertEval+":system:") {
		t.Errorf("eval task id %q", workerhealth.EvalTaskID(7))
	}
}
