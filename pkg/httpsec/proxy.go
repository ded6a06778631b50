package httpsec

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v5"
)

// ParseTrustedProxies parses a comma-separated list of addresses and CIDR prefixes (the
// WARDOPS_TRUSTED_PROXIES setting, e.g. "127.0.0.1/32,10.20.0.0/16"). Empty means none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// IPExtractor returns echo's client-address rule for the given trusted proxies: with none, the
// TCP peer address (X-Forwarded-For is ignored, so a client cannot spoof its address); with
// some, the right-most X-Forwarded-For entry that is not itself a trusted proxy, and only when
// the TCP peer is one. Loopback and private networks are NOT trusted implicitly (echo's
// default would trust them). Set it as e.IPExtractor before serving.
func IPExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{
			IP:   net.IP(p.Addr().AsSlice()),
			Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
		}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
