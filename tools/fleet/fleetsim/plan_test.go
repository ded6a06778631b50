package fleetsim

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestPlan checks the fleet's shape: distinct names and addresses inside 127.64.0.0/10, every
// branch led by its router, parents named, sizes within bounds, and a smaller plan a prefix of
// a larger one.
func TestPlan(t *testing.T) {
	big, err := Plan(20000)
	if err != nil {
		t.Fatal(err)
	}
	names, ips := map[string]bool{}, map[netip.Addr]bool{}
	perBranch := map[string]int{}
	routers := map[string]string{}
	fleetNet := netip.MustParsePrefix("127.64.0.0/10")
	for _, d := range big {
		if names[d.Name] || ips[d.IP] {
			t.Fatalf("duplicate %s / %s", d.Name, d.IP)
		}
		names[d.Name], ips[d.IP] = true, true
		if !fleetNet.Contains(d.IP) || !strings.HasPrefix(d.Name, NamePrefix) {
			t.Fatalf("%s %s outside the fleet's range or prefix", d.Name, d.IP)
		}
		perBranch[d.Branch]++
		if d.Type == "router" {
			routers[d.Branch] = d.Name
			if d.Parent != "" {
				t.Fatalf("router %s has parent %s", d.Name, d.Parent)
			}
		} else if d.Parent != routers[d.Branch] {
			t.Fatalf("%s: parent %q, want its branch router %q", d.Name, d.Parent, routers[d.Branch])
		}
	}
	last := big[len(big)-1].Branch
	for b, n := range perBranch {
		if b != last && (n < MinBranch || n > MaxBranch) {
			t.Errorf("branch %s has %d devices", b, n)
		}
	}
	small, _ := Plan(1234)
	if diff := cmp.Diff(big[:1234], small, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("Plan(1234) is not a prefix of Plan(20000) (-want +got):\n%s", diff)
	}
	if _, err := Plan(16384*50 + 1); err == nil {
		t.Error("a plan beyond 127.127.255.255 was accepted")
	}
}

func TestSNMPAgents(t *testing.T) {
	devs, _ := Plan(100)
	got := SNMPAgents(devs, 100)
	if len(got) != 100 {
		t.Fatalf("got %d agents, want 100", len(got))
	}
	for k, i := range got[:5] {
		if !devs[i].Infra {
			t.Errorf("agent %d is %s, want infrastructure first", k, devs[i].Type)
		}
	}
}

func TestUnreachable(t *testing.T) {
	plan, err := Plan(10000)
	if err != nil {
		t.Fatal(err)
	}
	prefix := netip.MustParsePrefix("10.200.64.0/18")
	moved, err := Unreachable(plan, 5, prefix)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for i, d := range plan {
		if prefix.Contains(d.IP) {
			got++
			if d.Infra {
				t.Errorf("device %d %s (infrastructure) moved", i, d.Name)
			}
		}
	}
	if got != moved || moved < 400 || moved > 500 {
		t.Errorf("moved %d (counted %d), want about 5 %% of 10,000 less the infrastructure", moved, got)
	}
	if _, err := Unreachable(plan, 50, netip.MustParsePrefix("10.200.64.0/24")); err == nil {
		t.Error("a /24 for 5,000 devices was accepted")
	}
}
