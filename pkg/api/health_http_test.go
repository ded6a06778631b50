package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/testinfra/testenv"
)

// fakeHealth returns a fixed report and counts its runs.
type fakeHealth struct {
	rep  health.Report
	runs int
}

var _ api.HealthChecker = (*fakeHealth)(nil)

func (f *fakeHealth) Run(context.Context) health.Report {
	f.runs++
	return f.rep
}

type healthDoc struct {
	Status     string            `json:"status"`
	Components map[string]string `json:"components"`
	CheckedAt  time.Time         `json:"checked_at"`
}

// TestHealthStatusCodes: the health answer is the checker's report as
// {"status","components"}; 503 when critical, 200 otherwise, never cached.
func TestHealthStatusCodes(t *testing.T) {
	comps := map[string]string{"database": "healthy: 1ms", "redis": "healthy: 0.2ms", "victoriametrics": "healthy: 3ms",
		"workers": "healthy: 1 workers, 0 busy", "disk_space": "healthy: 50.0% free", "api": "healthy: up 1m"}
	cases := []struct {
		name     string
		status   string
		override map[string]string
		wantCode int
	}{
		{"healthy", health.Healthy, nil, http.StatusOK},
		{"degraded", health.Degraded, map[string]string{"workers": "degraded: 1 workers, largest queue default with 1200 pending"}, http.StatusOK},
		{"critical", health.Critical, map[string]string{"database": "critical: database unreachable: connection refused"}, http.StatusServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := map[string]string{}
			for k, v := range comps {
				c[k] = v
			}
			for k, v := range tc.override {
				c[k] = v
			}
			at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			fake := &fakeHealth{rep: health.Report{Status: tc.status, Components: c, CheckedAt: at,
				Detail: map[string]health.Component{"database": {Level: "healthy", Reason: "secret detail"}}}}
			srv := httptest.NewServer(api.New(api.Params{Health: fake, Auth: authtest.NewService(t, auth.Params{})}))
			defer srv.Close()
			checkContract(t, srv.URL)
			resp, err := http.Get(srv.URL + "/api/v1/health")
			testenv.Must(t, "GET health", err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tc.wantCode)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			var got healthDoc
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decode %q: %v", raw, err)
			}
			if diff := cmp.Diff(healthDoc{Status: tc.status, Components: c, CheckedAt: at}, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
			if strings.Contains(string(raw), "secret detail") {
				t.Error("the public health answer leaks Detail")
			}
			if fake.runs != 1 {
				t.Errorf("checker ran %d times for one request", fake.runs)
			}
		})
	}
}

// TestHealthOfARunningSystem: with the harness's real database and worker, the health answer is
// healthy with one "healthy: …" line per configured component.
func TestHealthOfARunningSystem(t *testing.T) {
	sys := startAPI(t)
	var doc healthDoc
	var a answer
	// the worker registers itself with asynq within a few seconds of starting
	deadline := time.Now().Add(15 * time.Second)
	for {
		doc = healthDoc{}
		a = jsonCall(t, sys, http.MethodGet, "/api/v1/health", "")
		if a.Status == http.StatusOK {
			a.decode(t, &doc)
			if doc.Status == health.Healthy {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 15s: HTTP %d %s", a.Status, a.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, name := range []string{"database", "workers"} {
		if !strings.HasPrefix(doc.Components[name], "healthy: ") {
			t.Errorf("component %s = %q, want \"healthy: …\"", name, doc.Components[name])
		}
	}
	if doc.CheckedAt.IsZero() || time.Since(doc.CheckedAt) > time.Minute {
		t.Errorf("checked_at %s", doc.CheckedAt)
	}
}
