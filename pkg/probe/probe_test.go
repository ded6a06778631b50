package probe_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestProBingLoopback(t *testing.T) {
	needICMP(t)
	targets := []probe.Target{
		{ID: 1, Addr: netip.MustParseAddr("127.0.0.1")},
		{ID: 2, Addr: netip.MustParseAddr("127.3.4.5")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := probe.NewProBing(nil).PingAll(ctx, targets, probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: time.Second})
	for i, r := range res {
		if r.ID != targets[i].ID {
			t.Errorf("result %d has id %d, want %d", i, r.ID, targets[i].ID)
		}
		if r.Err != nil || r.Sent != 3 || r.Received != 3 || r.LossPct() != 0 {
			t.Errorf("%s: sent %d received %d loss %.0f err %v; want 3/3, 0%%", r.Addr, r.Sent, r.Received, r.LossPct(), r.Err)
		}
		lo, avg, hi, _, ok := r.Stats()
		if !ok || lo <= 0 || lo > avg || avg > hi || hi > time.Second {
			t.Errorf("%s: implausible RTTs min %v avg %v max %v", r.Addr, lo, avg, hi)
		}
	}
}

func TestResultStats(t *testing.T) {
	tests := []struct {
		name            string
		r               probe.Result
		lo, avg, hi, sd time.Duration
		ok              bool
		loss            float64
	}{
		{"no replies", probe.Result{Sent: 3}, 0, 0, 0, 0, false, 100},
		{"nothing sent", probe.Result{}, 0, 0, 0, 0, false, 100},
		{"three replies", probe.Result{Sent: 3, Received: 3, RTTs: []time.Duration{1 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}},
			time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 816496, true, 0},
		{"partial", probe.Result{Sent: 4, Received: 1, RTTs: []time.Duration{5 * time.Millisecond}},
			5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond, 0, true, 75},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lo, avg, hi, sd, ok := tc.r.Stats()
			if lo != tc.lo || avg != tc.avg || hi != tc.hi || sd != tc.sd || ok != tc.ok {
				t.Errorf("Stats() = %v %v %v %v %v, want %v %v %v %v %v", lo, avg, hi, sd, ok, tc.lo, tc.avg, tc.hi, tc.sd, tc.ok)
			}
			if got := tc.r.LossPct(); got != tc.loss {
				t.Errorf("LossPct() = %v, want %v", got, tc.loss)
			}
		})
	}
}

func TestEngineLoopback(t *testing.T) {
	needICMP(t)
	e, err := probe.NewEngine(probe.EngineParams{})
	if err != nil {
		t.Fatalf("ICMP tests need root or CAP_NET_RAW: %v", err)
	}
	defer e.Close()
	var targets []probe.Target
	for i := 1; i <= 300; i++ {
		targets = append(targets, probe.Target{ID: int64(i), Addr: netip.AddrFrom4([4]byte{127, 50, byte(i / 250), byte(i%250 + 1)})})
	}
	targets = append(targets, probe.Target{ID: 1000, Addr: netip.MustParseAddr("::1")})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := e.PingAll(ctx, targets, probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: time.Second})
	for i, r := range res {
		if r.ID != targets[i].ID {
			t.Fatalf("result %d has id %d, want %d", i, r.ID, targets[i].ID)
		}
		if r.Addr.Is6() && r.Err != nil {
			continue // a host without IPv6 loopback
		}
		if r.Err != nil || r.Sent != 3 || r.Received != 3 {
			t.Errorf("%s: sent %d received %d err %v; want 3/3", r.Addr, r.Sent, r.Received, r.Err)
		}
		lo, avg, hi, _, ok := r.Stats()
		if !ok || lo <= 0 || lo > avg || avg > hi || hi > time.Second {
			t.Errorf("%s: implausible RTTs min %v avg %v max %v", r.Addr, lo, avg, hi)
		}
	}
}

// Two engines in one process (two workers on one host) and concurrent calls on each: every
// reply reaches its own call, none is counted twice or lost to the other engine's filter.
func TestEnginesConcurrentCalls(t *testing.T) {
	var engines []*probe.Engine
	for range 2 {
		needICMP(t)
		e, err := probe.NewEngine(probe.EngineParams{})
		if err != nil {
			t.Fatalf("ICMP tests need root or CAP_NET_RAW: %v", err)
		}
		defer e.Close()
		engines = append(engines, e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	type outcome struct {
		call    int
		targets []probe.Target
		res     []probe.Result
	}
	done := make(chan outcome)
	for c := range 6 {
		var targets []probe.Target
		for i := range 200 {
			targets = append(targets, probe.Target{ID: int64(c*1000 + i), Addr: netip.AddrFrom4([4]byte{127, 51, byte(c), byte(i + 1)})})
		}
		go func() {
			done <- outcome{c, targets, engines[c%2].PingAll(ctx, targets, probe.Options{Count: 2, Timeout: 2 * time.Second})}
		}()
	}
	for range 6 {
		o := <-done
		for i, r := range o.res {
			if r.ID != o.targets[i].ID || r.Addr != o.targets[i].Addr {
				t.Fatalf("call %d result %d is %d %s, want %d %s", o.call, i, r.ID, r.Addr, o.targets[i].ID, o.targets[i].Addr)
			}
			if r.Err != nil || r.Sent != 2 || r.Received != 2 {
				t.Errorf("call %d %s: sent %d received %d err %v; want 2/2", o.call, r.Addr, r.Sent, r.Received, r.Err)
			}
		}
	}
}

// A cancelled call returns at once with what it has, and the engine keeps working.
func TestEngineCancel(t *testing.T) {
	needICMP(t)
	e, err := probe.NewEngine(probe.EngineParams{})
	if err != nil {
		t.Fatalf("ICMP tests need root or CAP_NET_RAW: %v", err)
	}
	defer e.Close()
	targets := []probe.Target{{ID: 1, Addr: netip.MustParseAddr("127.52.0.1")}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	res := e.PingAll(ctx, targets, probe.Options{Count: 5, Spacing: time.Second, Timeout: 5 * time.Second})
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("cancelled call took %v", took)
	}
	if res[0].Sent != 5 || res[0].Received != 0 {
		t.Errorf("cancelled before the first round: sent %d received %d, want 5/0 (unsent requests count as lost)", res[0].Sent, res[0].Received)
	}
	res = e.PingAll(context.Background(), targets, probe.Options{Count: 3})
	if res[0].Received != 3 {
		t.Errorf("after a cancelled call: received %d of 3", res[0].Received)
	}
}

// needICMP skips under -short and fails without raw ICMP sockets (root or CAP_NET_RAW).
func needICMP(t *testing.T) {
	t.Helper()
	testenv.RequireICMP(t)
}
