package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrDestinationDenied is wrapped by every refusal of the destination policy.
var ErrDestinationDenied = errors.New("denied by the notification destination policy")

// HostPort is one host[:port] entry of an AllowList: a host name (lower case, no trailing dot)
// or an address, on one port when Port is set (0: every port).
type HostPort struct {
	Host string
	Port int
}

// AllowList is WARDOPS_NOTIFY_ALLOW: the internal receivers notifications may reach although
// the default policy denies their addresses (loopback, link-local).
type AllowList struct {
	// Prefixes allow every port of the addresses they cover.
	Prefixes []netip.Prefix
	// Hosts allow a destination by the name (or address) the channel gives, on one port or all.
	Hosts []HostPort
}

// ParseAllowList reads a comma-separated list of CIDRs, addresses and host[:port] entries
// ("10.200.20.0/24, 127.0.0.1:9000, hooks.noc.internal:8443"). Blank entries are skipped.
func ParseAllowList(s string) (AllowList, error) {
	var a AllowList
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			a.Prefixes = append(a.Prefixes, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(f); err == nil {
			a.Prefixes = append(a.Prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		hp, err := parseHostPort(f)
		if err != nil {
			return AllowList{}, fmt.Errorf("%q is not a CIDR, an address or host[:port]", f)
		}
		a.Hosts = append(a.Hosts, hp)
	}
	return a, nil
}

func parseHostPort(f string) (HostPort, error) {
	host, port := f, 0
	if strings.Contains(f, ":") {
		h, p, err := net.SplitHostPort(f)
		if err != nil {
			return HostPort{}, err
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return HostPort{}, errors.New("bad port")
		}
		host, port = h, n
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return HostPort{Host: ip.Unmap().String(), Port: port}, nil
	}
	host = normHost(host)
	if !validHostname(host) {
		return HostPort{}, errors.New("bad host name")
	}
	return HostPort{Host: host, Port: port}, nil
}

func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// DestinationPolicy decides where notifications may go. By default it denies loopback
// (127.0.0.0/8, ::1), link-local (169.254.0.0/16 — the cloud metadata address — and
// fe80::/10), unspecified, "this network" (0.0.0.0/8), broadcast and multicast addresses;
// private RFC 1918 and unique-local addresses are allowed, since a bank's receivers are
// internal. The AllowList re-admits listed internal receivers. The zero value and a nil
// *DestinationPolicy are the default policy with an empty allow-list.
type DestinationPolicy struct {
	allow AllowList
	// lookup resolves host names (nil: net.DefaultResolver); tests replace it.
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewDestinationPolicy returns the default policy plus allow.
func NewDestinationPolicy(allow AllowList) *DestinationPolicy {
	return &DestinationPolicy{allow: allow}
}

// DeniedError is a destination the policy refuses; it wraps ErrDestinationDenied.
type DeniedError struct {
	// Host as the channel names it; Addr the address it is or resolved to.
	Host   string
	Addr   netip.Addr
	Port   int
	Reason string
}

func (e *DeniedError) Error() string {
	dest := net.JoinHostPort(e.Addr.String(), strconv.Itoa(e.Port))
	if e.Host != "" && e.Host != e.Addr.String() {
		dest = fmt.Sprintf("%s (%s)", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), e.Addr)
	}
	return fmt.Sprintf("destination %s is %s: %v (an admin may allow it with WARDOPS_NOTIFY_ALLOW)", dest, e.Reason, ErrDestinationDenied)
}

// Unwrap returns ErrDestinationDenied.
func (e *DeniedError) Unwrap() error { return ErrDestinationDenied }

// deniedReason says why the default policy refuses ip ("" when it does not).
func deniedReason(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast():
		return "link-local (where cloud metadata services answer)"
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		return "unspecified"
	case ip.IsMulticast(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "multicast or broadcast"
	}
	return ""
}

// allowed reports whether the allow-list admits ip (reached as host, on port).
func (p *DestinationPolicy) allowed(host string, ip netip.Addr, port int) bool {
	if p == nil {
		return false
	}
	ip = ip.Unmap()
	for _, pre := range p.allow.Prefixes {
		if pre.Contains(ip) {
			return true
		}
	}
	host = normHost(host)
	for _, h := range p.allow.Hosts {
		if h.Port != 0 && h.Port != port {
			continue
		}
		if h.Host == host || h.Host == ip.String() {
			return true
		}
	}
	return false
}

// checkIP returns a *DeniedError when ip (reached as host, on port) is refused.
func (p *DestinationPolicy) checkIP(host string, ip netip.Addr, port int) error {
	reason := deniedReason(ip)
	if reason == "" || p.allowed(host, ip, port) {
		return nil
	}
	return &DeniedError{Host: host, Addr: ip.Unmap(), Port: port, Reason: reason}
}

// CheckHost is the write-time check of a destination, without resolving anything: an address
// literal is checked as the dialer would, and "localhost" names count as 127.0.0.1. Other
// names pass; the dialer checks what they resolve to at send time.
func (p *DestinationPolicy) CheckHost(host string, port int) error {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.IndexByte(h, '%'); i >= 0 { // fe80::1%eth0
		h = h[:i]
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return p.checkIP(h, ip, port)
	}
	if n := normHost(h); n == "localhost" || strings.HasSuffix(n, ".localhost") { // RFC 6761
		return p.checkIP(n, netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
	}
	return nil
}

// CheckURL is CheckHost for an http(s) URL (default ports 80 and 443).
func (p *DestinationPolicy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	return p.checkURL(u)
}

func (p *DestinationPolicy) checkURL(u *url.URL) error {
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 80
		if u.Scheme == "https" {
			port = 443
		}
	}
	return p.CheckHost(u.Hostname(), port)
}

func (p *DestinationPolicy) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if p != nil && p.lookup != nil {
		return p.lookup(ctx, network, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, network, host)
}

// DialContext connects to address ("host:port") if the policy allows every address the host
// resolves to, and dials only those checked addresses (so a second DNS answer cannot swap in
// another one); the dialer's Control hook checks the address actually connected to as well.
func (p *DestinationPolicy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("dial %s: bad port", address)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = p.resolve(ctx, ipNetwork(network), host); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, ip := range ips { // any denied address denies the host: its DNS is not to be trusted
		if err := p.checkIP(host, ip, port); err != nil {
			return nil, err
		}
	}
	d := net.Dialer{Control: p.control(host)}
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control checks the address a socket is about to connect to.
func (p *DestinationPolicy) control(host string) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", address, err)
		}
		return p.checkIP(host, ap.Addr(), int(ap.Port()))
	}
}

func ipNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}

// HTTPClient returns a client whose connections pass the policy and which never follows a
// redirect (the sender reports a 3xx as a failure). A proxy from the environment
// (HTTPS_PROXY, …) is still used: the connection to the proxy passes the dialer's check and
// the target's host is checked as at write time; the proxy resolves names itself.
func (p *DestinationPolicy) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = p.DialContext
	return &http.Client{Transport: checkedTransport{p: p, next: tr}, CheckRedirect: noRedirect}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// checkedTransport refuses a request whose URL names a denied address before it is sent, which
// also covers requests that go through a proxy.
type checkedTransport struct {
	p    *DestinationPolicy
	next http.RoundTripper
}

func (t checkedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.p.checkURL(r.URL); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(r)
}
