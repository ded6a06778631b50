package worker_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

type listAnswer struct {
	Devices []store.StandaloneRow `json:"devices"`
	Count   int                   `json:"count"`
}

// TestPipelineEndToEnd runs scheduler, worker and API in-process with a 2 s interval over 20
// loopback devices and one device in a network namespace whose link goes down mid-test.
func TestPipelineEndToEnd(t *testing.T) {
	testenv.RequireICMP(t)
	const interval = 2 * time.Second
	host := testenv.NewHost(t, 21)
	sys := harness.Start(t, harness.Options{PingInterval: interval, BatchSize: 7})

	// device writes refuse unknown places: the regions and branches first
	for _, pl := range []string{`{"name":"r1"}`, `{"name":"r2"}`, `{"name":"b0","region":"r1"}`, `{"name":"b1","region":"r1"}`,
		`{"name":"b2","region":"r1"}`, `{"name":"bx","region":"r2"}`} {
		path := "/api/v1/branches"
		if !strings.Contains(pl, "region") {
			path = "/api/v1/regions"
		}
		if code := sys.Do(t, http.MethodPost, path, pl, nil); code != http.StatusCreated {
			t.Fatalf("create place %s: HTTP %d", pl, code)
		}
	}
	for i := 1; i <= 20; i++ {
		body := fmt.Sprintf(`{"name":"lo-%02d","ip":"127.20.0.%d","branch":"b%d","region":"r1"}`, i, i, i%3)
		if code := sys.Do(t, http.MethodPost, "/api/v1/devices", body, nil); code != http.StatusCreated {
			t.Fatalf("create lo-%02d: HTTP %d", i, code)
		}
	}
	var nsDev store.DeviceWithStatus
	if code := sys.Do(t, http.MethodPost, "/api/v1/devices", `{"name":"ns-router","ip":"`+host.IP+`","branch":"bx","region":"r2"}`, &nsDev); code != http.StatusCreated {
		t.Fatalf("create ns-router: HTTP %d", code)
	}

	all := waitFor(t, sys, 4*interval, "all 21 devices up", func(l listAnswer) bool { return countStatus(l, "up") == 21 })
	for _, d := range all.Devices {
		if d.RTTMS == nil || *d.RTTMS <= 0 || *d.RTTMS > 100 || d.LossPct == nil || *d.LossPct != 0 || d.LastSeen == nil {
			t.Errorf("%s: implausible status rtt=%v loss=%v last_seen=%v", d.Name, d.RTTMS, d.LossPct, d.LastSeen)
		}
	}

	host.Down(t)
	downAt := time.Now()
	// two intervals plus the ping timeout and a little processing
	got := waitFor(t, sys, 2*interval+time.Second, "ns-router down", func(l listAnswer) bool {
		return statusOf(l, nsDev.ID) == "down"
	})
	t.Logf("namespace device reported down %s after its link went down", time.Since(downAt).Round(10*time.Millisecond))
	if n := countStatus(got, "up"); n != 20 {
		t.Errorf("%d loopback devices up, want 20", n)
	}

	var evs struct {
		Events []store.Event `json:"events"`
	}
	sys.GetJSON(t, fmt.Sprintf("/api/v1/devices/%d/events", nsDev.ID), &evs)
	if len(evs.Events) == 0 || evs.Events[0].Kind != "status" || deref(evs.Events[0].FromStatus) != "up" || deref(evs.Events[0].ToStatus) != "down" {
		t.Errorf("newest event of ns-router = %+v, want status up→down", evs.Events)
	}
	assertNoDuplicateRows(t, sys)
}

func waitFor(t *testing.T, sys *harness.System, within time.Duration, what string, ok func(listAnswer) bool) listAnswer {
	t.Helper()
	deadline := time.Now().Add(within)
	var l listAnswer
	for {
		l = listAnswer{}
		if code := sys.GetJSON(t, "/api/v1/devices/standalone/list", &l); code != http.StatusOK {
			t.Fatalf("standalone list: HTTP %d", code)
		}
		if ok(l) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last list: %+v", what, within, l.Devices)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func countStatus(l listAnswer, status string) int {
	n := 0
	for _, d := range l.Devices {
		if string(d.Status) == status {
			n++
		}
	}
	return n
}

func statusOf(l listAnswer, id int64) string {
	for _, d := range l.Devices {
		if d.ID == id {
			return string(d.Status)
		}
	}
	return ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func assertNoDuplicateRows(t *testing.T, sys *harness.System) {
	t.Helper()
	var rows, distinct int
	err := sys.Store.Pool().QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT (device_id, slot_at)) FROM ping_results`).Scan(&rows, &distinct)
	testenv.Must(t, "count ping rows", err)
	if rows == 0 || rows != distinct {
		t.Errorf("ping_results has %d rows, %d distinct (device, slot); want >0 and equal", rows, distinct)
	}
}
