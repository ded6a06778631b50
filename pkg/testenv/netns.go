package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// GuardSubnet is the range test namespaces use. A blackhole route for it (metric 1000) is added
// before any namespace exists, so that a downed link never leaks packets to the default route.
const GuardSubnet = "10.200.0.0/16"

// Host is one test host: a network namespace joined to the root namespace by a veth pair.
type Host struct {
	NS     string
	HostIf string
	NSIf   string
	// HostIP and IP are the root side and the namespace side of a /30.
	HostIP string
	IP     string
}

var nsSeq atomic.Int64

// NewHost creates a namespace holding address 10.200.<n>.2 (n from 1..250, one per host in a
// test), reachable from the root namespace; it is removed when the test ends. Extra addresses
// for devices "behind" it can be added with AddAddr. Requires root.
func NewHost(t testing.TB, n int) *Host {
	t.Helper()
	if n < 1 || n > 250 {
		t.Fatalf("netns host number %d out of 1..250", n)
	}
	RequireRoot(t, "network namespaces")
	ensureGuardRoute(t)
	id := fmt.Sprintf("%d%d", nsSeq.Add(1)%100, n)
	h := &Host{NS: "wdt-" + id + "-" + randHex(2), HostIf: "wdh" + id + randHex(1), NSIf: "wdn" + id + randHex(1),
		HostIP: fmt.Sprintf("10.200.%d.1", n), IP: fmt.Sprintf("10.200.%d.2", n)}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", h.HostIf).Run()
		_ = exec.Command("ip", "netns", "del", h.NS).Run()
	})
	steps := [][]string{
		{"ip", "netns", "add", h.NS},
		{"ip", "link", "add", h.HostIf, "type", "veth", "peer", "name", h.NSIf, "netns", h.NS},
		{"ip", "addr", "add", h.HostIP + "/24", "dev", h.HostIf},
		{"ip", "link", "set", h.HostIf, "up"},
		{"ip", "netns", "exec", h.NS, "ip", "addr", "add", h.IP + "/24", "dev", h.NSIf},
		{"ip", "netns", "exec", h.NS, "ip", "link", "set", "lo", "up"},
		{"ip", "netns", "exec", h.NS, "ip", "link", "set", h.NSIf, "up"},
	}
	for _, s := range steps {
		mustRun(t, s...)
	}
	return h
}

// AddAddr adds another address of 10.200.<n>.0/24 inside the namespace (a device behind the
// namespace's "router").
func (h *Host) AddAddr(t testing.TB, ip string) {
	t.Helper()
	mustRun(t, "ip", "netns", "exec", h.NS, "ip", "addr", "add", ip+"/24", "dev", h.NSIf)
}

// Route sends prefix (devices further behind the namespace's "router") through the namespace;
// it must lie inside GuardSubnet, so that it falls back to the blackhole if the link goes away.
func (h *Host) Route(t testing.TB, prefix string) {
	t.Helper()
	mustRun(t, "ip", "route", "add", prefix, "via", h.IP, "dev", h.HostIf)
}

// Down takes the namespace side of the link down: every address in it stops answering.
func (h *Host) Down(t testing.TB) {
	t.Helper()
	mustRun(t, "ip", "netns", "exec", h.NS, "ip", "link", "set", h.NSIf, "down")
}

// Up brings the namespace side of the link back.
func (h *Host) Up(t testing.TB) {
	t.Helper()
	mustRun(t, "ip", "netns", "exec", h.NS, "ip", "link", "set", h.NSIf, "up")
}

func ensureGuardRoute(t testing.TB) {
	t.Helper()
	out, err := exec.Command("ip", "route", "show", "type", "blackhole", GuardSubnet).CombinedOutput()
	if err != nil {
		t.Fatalf("network namespace tests need root and iproute2: ip route: %v: %s", err, out)
	}
	if strings.Contains(string(out), strings.Split(GuardSubnet, "/")[0]) {
		return
	}
	if out, err := exec.Command("ip", "route", "add", "blackhole", GuardSubnet, "metric", "1000").CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "File exists") {
		t.Fatalf("add guard route blackhole %s: %v: %s", GuardSubnet, err, out)
	}
}

func mustRun(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s (network namespace tests need root)", strings.Join(args, " "), err, out)
	}
}
