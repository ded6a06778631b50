package worker

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
)

// meetingPinger answers a call once want calls are in flight together, or after wait if they
// never are; it records the most calls it saw at once and the options of each.
type meetingPinger struct {
	want int
	wait time.Duration
	met  chan struct{}

	mu   sync.Mutex
	in   int
	most int
	opts []probe.Options
}

func (m *meetingPinger) PingAll(ctx context.Context, targets []probe.Target, opts probe.Options) []probe.Result {
	m.mu.Lock()
	m.in++
	m.most = max(m.most, m.in)
	m.opts = append(m.opts, opts)
	if m.in == m.want {
		close(m.met)
	}
	m.mu.Unlock()
	select {
	case <-m.met:
	case <-time.After(m.wait):
	}
	m.mu.Lock()
	m.in--
	m.mu.Unlock()
	return answerAll{}.PingAll(ctx, targets, opts)
}

// TestProfileGroupsPingTogether: the devices of one batch in three profiles (two profiles and
// the defaults) are pinged by three calls in flight at once, each with its profile's options,
// so a batch lasts as long as its slowest profile (what schedule.FitCheck assumes), not the
// sum of them; every device has its result.
func TestProfileGroupsPingTogether(t *testing.T) {
	m := &meetingPinger{want: 3, wait: 5 * time.Second, met: make(chan struct{})}
	defaults := probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: time.Second}
	h := NewPingHandler(PingParams{Pinger: m, Defaults: defaults})
	one, two := int64(1), int64(2)
	devs := []store.Device{
		{ID: 10, IP: netip.MustParseAddr("127.20.251.1"), EffectiveProfileID: &one},
		{ID: 11, IP: netip.MustParseAddr("127.20.251.2"), EffectiveProfileID: &two},
		{ID: 12, IP: netip.MustParseAddr("127.20.251.3")},
		{ID: 13, IP: netip.MustParseAddr("127.20.251.4"), EffectiveProfileID: &one},
	}
	profiles := []store.Profile{{ID: 1, PingCount: 5, PingIntervalMS: 20, PingTimeoutMS: 2000}, {ID: 2, PingCount: 1, PingIntervalMS: 10, PingTimeoutMS: 500}}
	out := h.ping(t.Context(), devs, profiles, time.Now().UTC().Truncate(time.Second))
	if m.most != 3 {
		t.Errorf("at most %d ping calls in flight at once, want the 3 groups together", m.most)
	}
	if len(out) != len(devs) {
		t.Errorf("%d results for %d devices", len(out), len(devs))
	}
	seen := map[probe.Options]bool{}
	for _, o := range m.opts {
		seen[o] = true
	}
	for _, want := range []probe.Options{defaults, {Count: 5, Spacing: 20 * time.Millisecond, Timeout: 2 * time.Second},
		{Count: 1, Spacing: 10 * time.Millisecond, Timeout: 500 * time.Millisecond}} {
		if !seen[want] {
			t.Errorf("no call with options %+v (calls: %+v)", want, m.opts)
		}
	}
}
