package tsdb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/wardops/wardops/testinfra/testenv"
)

// flaky answers import requests with the given statuses in turn, then 204.
func flaky(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		if r.Header.Get("Content-Encoding") != "gzip" || r.URL.Path != "/api/v1/import/prometheus" {
			t.Errorf("request %s with Content-Encoding %q", r.URL.Path, r.Header.Get("Content-Encoding"))
		}
		if n < len(statuses) {
			w.WriteHeader(statuses[n])
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestWriteRetriesThenSucceeds(t *testing.T) {
	srv, calls := flaky(t, 503, 500)
	pool := testenv.NewDB(t)
	set := metrics.NewSet()
	p := fastParams(srv.URL, NewSpool(pool, 0), set)
	p.MaxAttempts = 3
	sink := mustSink(t, p)
	testenv.Must(t, "write", sink.Write(t.Context(), fleet(t0, 0)))
	if calls.Load() != 3 || set.GetOrCreateCounter("wardops_tsdb_write_retries_total").Get() != 2 {
		t.Errorf("%d requests, %d retries; want 3 and 2", calls.Load(), set.GetOrCreateCounter("wardops_tsdb_write_retries_total").Get())
	}
	if n := spoolSamples(t, pool); n != 0 {
		t.Errorf("%d samples spooled, want 0", n)
	}
}

func TestWriteRejectedIsNotSpooled(t *testing.T) {
	srv, calls := flaky(t, 400)
	pool := testenv.NewDB(t)
	sink := mustSink(t, fastParams(srv.URL, NewSpool(pool, 0), nil))
	err := sink.Write(t.Context(), fleet(t0, 0))
	if !errors.Is(err, ErrRejected) || calls.Load() != 1 {
		t.Errorf("err = %v after %d requests, want ErrRejected after 1", err, calls.Load())
	}
	if n := spoolSamples(t, pool); n != 0 {
		t.Errorf("%d samples spooled, want 0: a malformed request would never drain", n)
	}
}

func TestWriteSpoolsWhenCtxEndsDuringRetries(t *testing.T) {
	srv, calls := flaky(t, 503, 503, 503, 503, 503, 503)
	pool := testenv.NewDB(t)
	p := fastParams(srv.URL, NewSpool(pool, 0), nil)
	p.MaxAttempts, p.BaseBackoff, p.MaxBackoff = 6, time.Second, time.Second
	sink := mustSink(t, p)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	samples := fleet(t0, 0)
	testenv.Must(t, "write", sink.Write(ctx, samples))
	if n := spoolSamples(t, pool); n != int64(len(samples)) {
		t.Errorf("%d samples spooled, want %d: a task timing out must keep its samples", n, len(samples))
	}
	// The breaker is open now: the next write spools without asking VictoriaMetrics.
	before := calls.Load()
	testenv.Must(t, "write", sink.Write(t.Context(), samples))
	if calls.Load() != before {
		t.Errorf("%d requests while the breaker is open, want 0", calls.Load()-before)
	}
	if n := spoolSamples(t, pool); n != 2*int64(len(samples)) {
		t.Errorf("%d samples spooled, want %d", n, 2*len(samples))
	}
}

func TestWriteReportsInvalidSamples(t *testing.T) {
	srv, calls := flaky(t)
	sink := mustSink(t, fastParams(srv.URL, NewSpool(testenv.NewDB(t), 0), nil))
	err := sink.Write(t.Context(), []Sample{{Metric: "ok", At: t0}, {Metric: "not ok", At: t0}})
	if !errors.Is(err, ErrInvalidSample) || calls.Load() != 1 {
		t.Errorf("err = %v after %d requests; want ErrInvalidSample after writing the valid one", err, calls.Load())
	}
}

func TestNewSinkValidates(t *testing.T) {
	for _, p := range []SinkParams{{URL: "127.0.0.1:8428", Spool: &Spool{}}, {URL: "http://127.0.0.1:8428"}} {
		if _, err := NewSink(p); err == nil {
			t.Errorf("NewSink(%+v) succeeded", p)
		}
	}
}
