package testenv_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardops/wardops/testinfra/testenv"
)

// A namespace left by a killed run (its pid gone, or the older name without a pid) is removed
// before the next host is made; this run's own host stays.
func TestSweepStaleHosts(t *testing.T) {
	testenv.RequireRoot(t, "network namespaces")
	own := testenv.NewHost(t, 248)
	stale := []string{"wdt-2147483-99248-aa", "wdt-99248-bb"} // no such pid; the older form
	for _, ns := range stale {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	testenv.SweepStaleHosts(t)
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	list := string(out)
	for _, ns := range stale {
		if strings.Contains(list, ns) {
			t.Errorf("stale namespace %s was not removed:\n%s", ns, list)
		}
	}
	if !strings.Contains(list, own.NS) || !strings.HasPrefix(own.NS, fmt.Sprintf("wdt-%d-", os.Getpid())) {
		t.Errorf("this run's namespace %s was removed or is misnamed:\n%s", own.NS, list)
	}
}
