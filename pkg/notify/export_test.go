package notify

import (
	"context"
	"net/netip"
)

// SetLookup replaces p's resolver (tests resolve made-up names without DNS).
func SetLookup(p *DestinationPolicy, f func(ctx context.Context, network, host string) ([]netip.Addr, error)) {
	p.lookup = f
}

// Control runs the dialer's Control check of a connection to address made for host.
func Control(p *DestinationPolicy, host, address string) error {
	return p.control(host)("tcp", address, nil)
}
