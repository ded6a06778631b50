package worker

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"
	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestFlappingNetns pings 10 addresses inside a network namespace that drops a third of the
// replies at random (netem loss 33% on the namespace's egress, or where the kernel has no
// netem, an nftables rule in the namespace dropping one echo reply in three at random) with
// the real ICMP prober, and takes the windowed verdict each cycle as the handler does: after
// 10 cycles to settle, each device stays degraded through an hour of 30 s cycles (120 cycles,
// ≤ 2 status changes); then the link goes down and every device is down within K cycles (a
// lossy device needs K lost cycles in a row at 33 % loss, docs/STATUS.md). Needs root (netns,
// raw ICMP).
func TestFlappingNetns(t *testing.T) {
	host := testenv.NewHost(t, 163) // NewHost adds the blackhole guard route first
	targets := []probe.Target{{ID: 1, Addr: netip.MustParseAddr(host.IP)}}
	for i := 2; i <= 10; i++ {
		ip := fmt.Sprintf("10.200.163.%d", i+1)
		host.AddAddr(t, ip)
		targets = append(targets, probe.Target{ID: int64(i), Addr: netip.MustParseAddr(ip)})
	}
	dropThird(t, host)
	pinger := probe.NewProBing(nil)
	opts := probe.Options{Count: 3, Spacing: 10 * time.Millisecond, Timeout: 300 * time.Millisecond}
	pol := policyOf(nil)
	prev := map[int64]device.Status{}
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
			hist[r.ID] = append([]Cycle{c}, hist[r.ID]...)[:min(len(hist[r.ID])+1, pol.HistoryCycles())]
		}
	}
	var lost, sent int
	for i := range 130 {
		if i == 10 {
			clear(changes) // settled: the hour starts
		}
		cycle()
		for _, h := range hist {
			sent, lost = sent+h[0].Sent, lost+h[0].Sent-h[0].Received
		}
	}
	t.Logf("measured loss %.1f%% over %d echoes; changes per device %v; statuses %v", 100*float64(lost)/float64(sent), sent, changes, prev)
	for _, tg := range targets {
		if changes[tg.ID] > 2 || prev[tg.ID] != store.StatusDegraded {
			t.Errorf("device %d: %d status changes in the hour (120 cycles) of 33%% loss after settling, ends %q; want ≤ 2 and degraded", tg.ID, changes[tg.ID], prev[tg.ID])
		}
	}
	host.Down(t)
	for range pol.Window {
		cycle()
	}
	for _, tg := range targets {
		if prev[tg.ID] != store.StatusDown {
			t.Errorf("device %d after the link went down: %q, want down within %d cycles", tg.ID, prev[tg.ID], pol.Window)
		}
	}
}

func runOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// dropThird makes the namespace lose a third of its echo replies at random: netem where the
// kernel has it, else nftables' numgen (scripts/services.sh installs nftables).
func dropThird(t *testing.T, host *testenv.Host) {
	t.Helper()
	out, err := runOut("ip", "netns", "exec", host.NS, "tc", "qdisc", "add", "dev", host.NSIf, "root", "netem", "loss", "33%")
	if err == nil {
		t.Log("loss: netem 33% on the namespace's egress")
		return
	}
	netemErr := strings.TrimSpace(string(out))
	if _, lerr := exec.LookPath("nft"); lerr != nil {
		t.Skipf("no netem qdisc (%s) and no nft: install nftables (scripts/services.sh does)", netemErr)
	}
	for _, args := range [][]string{
		{"add", "table", "inet", "wdloss"},
		{"add", "chain", "inet", "wdloss", "out", "{ type filter hook output priority 0; }"},
		{"add", "rule", "inet", "wdloss", "out", "icmp", "type", "echo-reply", "numgen", "random", "mod", "3", "==", "0", "drop"},
	} {
		if out, err := runOut("ip", append([]string{"netns", "exec", host.NS, "nft"}, args...)...); err != nil {
			t.Fatalf("nft %v: %v: %s (netem: %s)", args, err, out, netemErr)
		}
	}
	t.Logf("loss: nftables drops one echo reply in three at random (no netem: %s)", netemErr)
}
