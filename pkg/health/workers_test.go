package health_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/health"
)

// fakeInspector answers like asynq's Inspector from fixed figures and records the queues asked.
type fakeInspector struct {
	servers    int
	busy       int
	pending    map[string]int
	serversErr error
	queuesErr  error
	queueErr   map[string]error
	asked      []string
}

var _ health.Inspector = (*fakeInspector)(nil)

func (f *fakeInspector) Servers() ([]*asynq.ServerInfo, error) {
	if f.serversErr != nil {
		return nil, f.serversErr
	}
	out := make([]*asynq.ServerInfo, f.servers)
	for i := range out {
		out[i] = &asynq.ServerInfo{}
	}
	if f.servers > 0 {
		out[0].ActiveWorkers = make([]*asynq.WorkerInfo, f.busy)
	}
	return out, nil
}

func (f *fakeInspector) Queues() ([]string, error) {
	if f.queuesErr != nil {
		return nil, f.queuesErr
	}
	var qs []string
	for _, q := range []string{"critical", "default", "low", "notify"} {
		if _, ok := f.pending[q]; ok {
			qs = append(qs, q)
		}
	}
	return qs, nil
}

func (f *fakeInspector) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	f.asked = append(f.asked, q)
	if err := f.queueErr[q]; err != nil {
		return nil, err
	}
	return &asynq.QueueInfo{Queue: q, Pending: f.pending[q], Latency: 1500 * time.Millisecond}, nil
}

// TestWorkersThresholds checks the SPEC's worker thresholds: critical at 0 workers or a queue
// over 5,000 pending; degraded under the minimum of workers or a queue over 1,000.
func TestWorkersThresholds(t *testing.T) {
	th := health.WorkerThresholds{MinWorkers: 2, DegradedPending: 1000, CriticalPending: 5000}
	cases := []struct {
		name       string
		in         fakeInspector
		wantLevel  string
		wantReason string
	}{
		{name: "enough workers, short queues", in: fakeInspector{servers: 2, busy: 3, pending: map[string]int{"critical": 0, "default": 12}},
			wantLevel: health.Healthy, wantReason: "2 workers, 3 busy, largest queue default with 12 pending"},
		{name: "no queues yet", in: fakeInspector{servers: 3},
			wantLevel: health.Healthy, wantReason: "3 workers, 0 busy"},
		{name: "zero workers", in: fakeInspector{servers: 0, pending: map[string]int{"default": 0}},
			wantLevel: health.Critical, wantReason: "0 workers, 0 busy"},
		{name: "under the minimum", in: fakeInspector{servers: 1, pending: map[string]int{"default": 5}},
			wantLevel: health.Degraded, wantReason: "1 workers, 0 busy, largest queue default with 5 pending"},
		{name: "1000 pending is still healthy", in: fakeInspector{servers: 2, pending: map[string]int{"default": 1000}},
			wantLevel: health.Healthy, wantReason: "2 workers, 0 busy, largest queue default with 1000 pending"},
		{name: "over 1000 pending", in: fakeInspector{servers: 2, pending: map[string]int{"default": 3, "low": 1001}},
			wantLevel: health.Degraded, wantReason: "2 workers, 0 busy, largest queue low with 1001 pending"},
		{name: "5000 pending is degraded", in: fakeInspector{servers: 2, pending: map[string]int{"critical": 5000}},
			wantLevel: health.Degraded, wantReason: "2 workers, 0 busy, largest queue critical with 5000 pending"},
		{name: "over 5000 pending", in: fakeInspector{servers: 4, pending: map[string]int{"critical": 10, "notify": 5001}},
			wantLevel: health.Critical, wantReason: "4 workers, 0 busy, largest queue notify with 5001 pending"},
		{name: "critical backlog with too few workers", in: fakeInspector{servers: 1, pending: map[string]int{"default": 6000}},
			wantLevel: health.Critical, wantReason: "1 workers, 0 busy, largest queue default with 6000 pending"},
		{name: "servers unreadable", in: fakeInspector{serversErr: errors.New("redis: connection refused")},
			wantLevel: health.Critical, wantReason: "cannot list workers: redis: connection refused"},
		{name: "queues unreadable", in: fakeInspector{servers: 2, queuesErr: errors.New("timeout")},
			wantLevel: health.Critical, wantReason: "cannot list queues: timeout"},
		{name: "one queue unreadable is skipped", in: fakeInspector{servers: 2, pending: map[string]int{"default": 7, "low": 9000},
			queueErr: map[string]error{"low": errors.New("gone")}},
			wantLevel: health.Healthy, wantReason: "2 workers, 0 busy, largest queue default with 7 pending"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			comp := health.Workers(&in, th)(context.Background())
			if diff := cmp.Diff(tc.wantLevel+": "+tc.wantReason, comp.String()); diff != "" {
				t.Errorf("component (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkersDetail(t *testing.T) {
	in := &fakeInspector{servers: 2, busy: 5, pending: map[string]int{"critical": 1, "default": 20}}
	comp := health.Workers(in, health.DefaultWorkerThresholds)(context.Background())
	want := map[string]any{"servers": 2, "busy": 5,
		"queue_critical_pending": 1, "queue_critical_latency_ms": int64(1500),
		"queue_default_pending": 20, "queue_default_latency_ms": int64(1500)}
	if diff := cmp.Diff(want, comp.Detail); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"critical", "default"}, in.asked); diff != "" {
		t.Errorf("queues asked (-want +got):\n%s", diff)
	}
}

func TestDefaultWorkerThresholds(t *testing.T) {
	want := health.WorkerThresholds{MinWorkers: 1, DegradedPending: 1000, CriticalPending: 5000}
	if diff := cmp.Diff(want, health.DefaultWorkerThresholds); diff != "" {
		t.Errorf("DefaultWorkerThresholds (-want +got):\n%s", diff)
	}
}

// TestHTTP checks a service over HTTP on loopback: 2xx is healthy, anything else critical.
func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			_, _ = w.Write([]byte("OK"))
			return
		}
		http.Error(w, "nope", http.StatusInternalServerError)
	}))
	defer srv.Close()
	cases := []struct {
		name, path, wantLevel, wantReasonHas string
	}{
		{name: "2xx", path: "/health", wantLevel: health.Healthy, wantReasonHas: "answered in "},
		{name: "500", path: "/broken", wantLevel: health.Critical, wantReasonHas: "victoriametrics unreachable: " + srv.URL + "/broken answered 500 Internal Server Error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			comp := health.HTTP("victoriametrics", srv.URL+tc.path, time.Second)(context.Background())
			if comp.Level != tc.wantLevel || !strings.Contains(comp.Reason, tc.wantReasonHas) {
				t.Errorf("HTTP = %q, want level %s and a reason containing %q", comp.String(), tc.wantLevel, tc.wantReasonHas)
			}
		})
	}
	srv.Close()
	comp := health.HTTP("victoriametrics", srv.URL+"/health", time.Second)(context.Background())
	if comp.Level != health.Critical {
		t.Errorf("closed server: %q, want critical", comp.String())
	}
}
