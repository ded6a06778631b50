package worker

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/testenv"
)

// TestFlappingNetns pings 10 addresses inside a network namespace whose link drops a third of
// the replies (netem loss 33% on the namespace's egress) with the real ICMP prober, and takes
// the windowed verdict each cycle as the handler does: each device stays degraded (≤ 2 status
// changes in 60 cycles, the first verdict after unknown included); then the link goes down and every device is down within one cycle
// of two (a lossy device needs two lost cycles, docs/STATUS.md). Needs root (netns, raw ICMP).
func TestFlappingNetns(t *testing.T) {
	host := testenv.NewHost(t, 163) // NewHost adds the blackhole guard route first
	targets := []probe.Target{{ID: 1, Addr: netip.MustParseAddr(host.IP)}}
	for i := 2; i <= 10; i++ {
		ip := fmt.Sprintf("10.200.163.%d", i+1)
		host.AddAddr(t, ip)
		targets = append(targets, probe.Target{ID: int64(i), Addr: netip.MustParseAddr(ip)})
	}
	if out, err := runOut("ip", "netns", "exec", host.NS, "tc", "qdisc", "add", "dev", host.NSIf, "root", "netem", "loss", "33%"); err != nil {
		if strings.Contains(string(out), "unknown") {
			t.Skipf("the kernel has no netem qdisc (sch_netem): %s", out) // the unit table covers the verdict
		}
		t.Fatalf("netem: %v: %s", err, out)
	}
	pinger := probe.NewProBing(nil)
	opts := probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: 300 * time.Millisecond}
	pol := policyOf(nil)
	prev := map[int64]string{}
	hist := map[int64][]Cycle{}
	changes := map[int64]int{}
	cycle := func() {
		for _, r := range pinger.PingAll(t.Context(), targets, opts) {
			c := Cycle{Sent: r.Sent, Received: r.Received}
			st := Verdict(prev[r.ID], c, hist[r.ID], pol)
			if st != prev[r.ID] {
				changes[r.ID]++
			}
			prev[r.ID] = st
			hist[r.ID] = append([]Cycle{c}, hist[r.ID]...)[:min(len(hist[r.ID])+1, 2*pol.Window-1)]
		}
	}
	var lost, sent int
	for range 60 {
		cycle()
		for _, h := range hist {
			sent, lost = sent+h[0].Sent, lost+h[0].Sent-h[0].Received
		}
	}
	t.Logf("measured loss %.1f%% over %d echoes; changes per device %v; statuses %v", 100*float64(lost)/float64(sent), sent, changes, prev)
	for _, tg := range targets {
		if changes[tg.ID] > 2 || prev[tg.ID] != store.StatusDegraded {
			t.Errorf("device %d: %d status changes in 60 cycles of 33%% loss, ends %q; want ≤ 2 and degraded", tg.ID, changes[tg.ID], prev[tg.ID])
		}
	}
	host.Down(t)
	cycle()
	cycle()
	for _, tg := range targets {
		if prev[tg.ID] != store.StatusDown {
			t.Errorf("device %d after the link went down: %q, want down within two cycles", tg.ID, prev[tg.ID])
		}
	}
}

func runOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
