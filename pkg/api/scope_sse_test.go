package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// sseStream is an open GET /api/v1/events of one caller.
type sseStream struct {
	lines *bufio.Scanner
	close func()
}

func (e *scopeEnv) openStream(ctx context.Context, c *scopeCaller) *sseStream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+"/api/v1/events", nil)
	testenv.Must(e.t, "build request", err)
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	resp, err := c.http.Do(req)
	testenv.Must(e.t, "open stream", err)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("open stream: HTTP %d", resp.StatusCode)
	}
	s := &sseStream{lines: bufio.NewScanner(resp.Body), close: func() { cancel(); _ = resp.Body.Close() }}
	for s.lines.Scan() { // the API writes ": connected" once its subscription is live
		if s.lines.Text() == ": connected" {
			return s
		}
	}
	e.t.Fatal("stream ended before it was connected")
	return nil
}

// next returns the next event as "status <device> <to>" or "alert <device>" (device names A, B, …
// by e.dev; "0" for none) or "<type>".
func (s *sseStream) next(names map[int64]string) (string, bool) {
	for s.lines.Scan() {
		data, ok := strings.CutPrefix(s.lines.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type string
			Data struct {
				DeviceID int64 `json:"device_id"`
				To       string
				Alert    struct {
					DeviceID int64 `json:"device_id"`
				}
			}
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return "undecodable " + data, true
		}
		name := func(id int64) string {
			if n, ok := names[id]; ok {
				return n
			}
			return fmt.Sprint(id)
		}
		switch ev.Type {
		case "status":
			return fmt.Sprintf("status %s %s", name(ev.Data.DeviceID), ev.Data.To), true
		case "alert":
			return "alert " + name(ev.Data.Alert.DeviceID), true
		}
		return ev.Type, true
	}
	return "", false
}

// TestScopedLiveEvents: a scoped caller's stream carries the events of its devices only —
// status changes and alerts, also of a device created after the stream opened — never system
// alerts, events of unknown devices or other event types; an unscoped stream carries all.
func TestScopedLiveEvents(t *testing.T) {
	e := startScopeEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	callers := []string{"viewer", "viewer@region-A", "viewer@branch-B", "viewer@region-A/session"}
	streams := map[string]*sseStream{}
	for _, n := range callers {
		streams[n] = e.openStream(ctx, e.callers[n])
		defer streams[n].close()
	}
	pub := events.NewPublisher(e.rdb)
	status := func(id int64, to device.Status) {
		testenv.Must(t, "publish", pub.Publish(ctx, "status", store.StatusChange{DeviceID: id, From: "up", To: to, At: time.Now()}))
	}
	alertEv := func(id int64) {
		testenv.Must(t, "publish", pub.Publish(ctx, "alert", alert.LiveEvent{Event: "fired", Alert: alert.Alert{ID: 1, DeviceID: id}}))
	}
	status(e.dev["A"], "down")
	status(e.dev["B"], "down")
	alertEv(e.dev["A"])
	alertEv(0) // a system alert
	status(e.dev["C"], "down")
	testenv.Must(t, "publish", pub.Publish(ctx, "cycle", map[string]int{"devices": 3}))
	alertEv(e.dev["B"])
	status(999999, "down") // a device the API does not know
	// a device created after the streams opened: found by the next reload of the device places
	d, err := e.st.CreateDevice(ctx, store.DeviceInput{Name: "dev-D", IP: netip.MustParseAddr("127.60.0.9"), Region: "A", Branch: "D-1", Enabled: true})
	testenv.Must(t, "create device", err)
	e.dev["D"] = d.ID
	time.Sleep(2100 * time.Millisecond) // the places of unknown devices are reloaded at most every 2 s
	status(d.ID, "up")
	status(e.dev["A"], "end")
	status(e.dev["B"], "end")

	names := map[int64]string{0: "0"}
	for n, id := range e.dev {
		names[id] = n
	}
	want := map[string][]string{
		"viewer": {"status A down", "status B down", "alert A", "alert 0", "status C down", "cycle", "alert B",
			"status 999999 down", "status D up", "status A end", "status B end"},
		"viewer@region-A":         {"status A down", "alert A", "status D up", "status A end"},
		"viewer@region-A/session": {"status A down", "alert A", "status D up", "status A end"},
		"viewer@branch-B":         {"status B down", "alert B", "status B end"},
	}
	for _, n := range callers {
		var got []string
		last := want[n][len(want[n])-1]
		for len(got) == 0 || got[len(got)-1] != last {
			ev, ok := streams[n].next(names)
			if !ok {
				break
			}
			got = append(got, ev)
		}
		if diff := cmp.Diff(want[n], got); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", n, diff)
		}
	}
}
