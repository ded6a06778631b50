package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	SweepStaleHosts(t)
	id := fmt.Sprintf("%d%d", nsSeq.Add(1)%100, n)
	h := &Host{NS: fmt.Sprintf("wdt-%d-%s-%s", os.Getpid(), id, randHex(2)), HostIf: "wdh" + id + randHex(1), NSIf: "wdn" + id + randHex(1),
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

// SweepStaleHosts deletes the namespaces (and their veth pairs) that a killed test run left
// behind: a namespace is named wdt-<pid>-…, and one whose test process is gone still holds
// 10.200.<n>.1 on the root side and would answer in place of the next run's host (a test then
// waits for a device that never goes down). Names in the older wdt-<id>-<hex> form carry no pid
// and are removed too; no two runs share a machine's namespaces at once. scripts/test-run.sh
// runs the same sweep before a run.
func SweepStaleHosts(t testing.TB) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "wdt-") {
			continue
		}
		if owner := nsOwner(f[0]); owner > 0 && testProcessAlive(owner) {
			continue
		}
		if err := exec.Command("ip", "netns", "del", f[0]).Run(); err == nil {
			t.Logf("removed network namespace %s left by a test run that no longer exists", f[0])
		}
	}
}

// nsOwner is the pid in a namespace name wdt-<pid>-<id>-<hex>, or 0 for the older form.
func nsOwner(name string) int {
	parts := strings.Split(name, "-")
	if len(parts) != 4 {
		return 0
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0
	}
	return pid
}

// testProcessAlive reports whether pid is a running Go test binary (a reused pid of another
// program does not keep a namespace).
func testProcessAlive(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	return strings.HasSuffix(filepath.Base(strings.TrimSuffix(exe, " (deleted)")), ".test")
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
