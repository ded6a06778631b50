package fleetsim

import (
	"fmt"
	"hash/fnv"
	"net/netip"
)

// Tag marks the simulated devices: their names start with NamePrefix and they carry the label
// LabelKey=LabelValue. Remove deletes only devices with both.
const (
	NamePrefix = "fleet-"
	LabelKey   = "fleet"
	LabelValue = "sim"
)

// Regions are the fleet's regions; branch b belongs to Regions[b%len(Regions)].
var Regions = []string{"akmola", "almaty", "atyrau", "karaganda", "kostanay", "mangystau", "pavlodar", "turkistan"}

// Branch sizes are drawn (deterministically, from the branch number) in [MinBranch, MaxBranch].
const (
	MinBranch = 20
	MaxBranch = 50
	// FirstOctet2 is the second octet of the first branch's /24: branch b sits on
	// 127.(64+b/256).(b%256).0/24, so up to 16,384 branches fit below 127.128.0.0.
	FirstOctet2 = 64
	maxBranches = (128 - FirstOctet2) * 256
)

// Device is one simulated device.
type Device struct {
	Name, Branch, Region, Type, Vendor string
	IP                                 netip.Addr
	// Parent is the branch router's name ("" for the router itself).
	Parent string
	// Infra is true for routers, switches and firewalls: they are the first SNMP agents.
	Infra bool
}

// Plan returns the first n devices of the fleet. The fleet is the same for every n: the plan
// for a smaller n is a prefix of the plan for a larger one (so a fleet grows in place), and
// the devices of a branch start with its router.
func Plan(n int) ([]Device, error) {
	out := make([]Device, 0, n)
	for b := 0; len(out) < n; b++ {
		if b >= maxBranches {
			return nil, fmt.Errorf("%d devices do not fit in 127.%d.0.0-127.127.255.255 (%d branches)", n, FirstOctet2, maxBranches)
		}
		out = append(out, branch(b)...)
	}
	return out[:n], nil
}

// role is a kind of device and how many of it a branch of size s has.
type role struct {
	short, typ, vendor string
	count              func(s int) int
	infra              bool
}

var roles = []role{
	{"rtr", "router", "cisco", func(int) int { return 1 }, true},
	{"sw", "switch", "cisco", func(s int) int { return 1 + s/25 }, true},
	{"fw", "firewall", "fortinet", func(int) int { return 1 }, true},
	{"srv", "server", "dell", func(s int) int { return 1 + s/40 }, false},
	{"ups", "ups", "apc", func(int) int { return 1 }, false},
	{"atm", "atm", "ncr", func(s int) int { return s / 5 }, false},
	{"ws", "workstation", "hp", nil, false}, // the rest
}

func branchSize(b int) int {
	h := fnv.New32a()
	_, _ = fmt.Fprintf(h, "branch-%d", b)
	return MinBranch + int(h.Sum32()%uint32(MaxBranch-MinBranch+1))
}

func branch(b int) []Device {
	size := branchSize(b)
	region := Regions[b%len(Regions)]
	name := fmt.Sprintf("%s-%04d", region, b/len(Regions)+1)
	o2, o3 := byte(FirstOctet2+b/256), byte(b%256)
	rtr := NamePrefix + name + "-rtr-01"
	out := make([]Device, 0, size)
	for _, r := range roles {
		k := size - len(out)
		if r.count != nil {
			k = min(r.count(size), k)
		}
		for i := 1; i <= k; i++ {
			d := Device{Name: fmt.Sprintf("%s%s-%s-%02d", NamePrefix, name, r.short, i), Branch: name, Region: region,
				Type: r.typ, Vendor: r.vendor, IP: netip.AddrFrom4([4]byte{127, o2, o3, byte(len(out) + 1)}), Infra: r.infra}
			if d.Name != rtr {
				d.Parent = rtr
			}
			out = append(out, d)
		}
	}
	return out
}

// SNMPAgents picks m devices of the plan to be SNMP agents: routers, switches and firewalls in
// plan order first, then the others. The result holds indexes into devs; agent k (0-based) is
// simulated device k+1 (community simdata.Name("sim", k+1)).
func SNMPAgents(devs []Device, m int) []int {
	out := make([]int, 0, min(m, len(devs)))
	for _, infra := range []bool{true, false} {
		for i, d := range devs {
			if len(out) == m {
				return out
			}
			if d.Infra == infra {
				out = append(out, i)
			}
		}
	}
	return out
}

// Unreachable moves pct percent of the plan's devices, spread evenly through it, to addresses
// of prefix (in order), for a fleet with dead devices: routed to a namespace whose link is down,
// they never answer. Routers, switches and firewalls (the branches' parents and the first SNMP
// agents) stay where they are, so slightly fewer than pct percent move; it returns how many did.
func Unreachable(plan []Device, pct int, prefix netip.Prefix) (int, error) {
	if pct < 0 || pct > 100 {
		return 0, fmt.Errorf("unreachable share %d %% is not 0..100", pct)
	}
	if !prefix.Addr().Is4() {
		return 0, fmt.Errorf("unreachable prefix %s is not IPv4", prefix)
	}
	addr, moved := prefix.Masked().Addr(), 0
	for i := range plan {
		if (i+1)*pct/100 == i*pct/100 || plan[i].Infra {
			continue
		}
		addr = addr.Next()
		if !prefix.Contains(addr) {
			return moved, fmt.Errorf("%s has too few addresses for %d %% of %d devices", prefix, pct, len(plan))
		}
		plan[i].IP = addr
		moved++
	}
	return moved, nil
}
