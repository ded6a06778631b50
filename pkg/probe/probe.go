package probe

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
)

// ErrNoPermission means the process may not open raw ICMP sockets: run it as root or grant it
// CAP_NET_RAW (setcap cap_net_raw+ep, or cap_add: NET_RAW in compose).
var ErrNoPermission = errors.New("no permission to open raw ICMP sockets (run as root or grant CAP_NET_RAW)")

// Target is one address to ping, tagged with the caller's id.
type Target struct {
	ID   int64
	Addr netip.Addr
}

// Options say how each target is pinged.
type Options struct {
	// Count is the number of echo requests (default 3).
	Count int
	// Spacing is the pause between requests, at least 10ms (default 10ms).
	Spacing time.Duration
	// Timeout is how long to wait for the last reply (default 1s).
	Timeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Count <= 0 {
		o.Count = 3
	}
	if o.Spacing < 10*time.Millisecond {
		o.Spacing = 10 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
}

// Result is the outcome of pinging one target.
type Result struct {
	ID       int64
	Addr     netip.Addr
	Sent     int
	Received int
	// RTTs holds the round-trip time of each reply received.
	RTTs []time.Duration
	// At is when the first request was sent.
	At time.Time
	// Err is set when the target could not be pinged at all (not for lost replies).
	Err error
}

// LossPct is the percentage of requests that got no reply.
func (r Result) LossPct() float64 {
	if r.Sent == 0 {
		return 100
	}
	return 100 * float64(r.Sent-r.Received) / float64(r.Sent)
}

// Stats returns min, avg, max and standard deviation (jitter) of the RTTs; ok is false when no
// reply came back.
func (r Result) Stats() (lo, avg, hi, stddev time.Duration, ok bool) {
	if len(r.RTTs) == 0 {
		return 0, 0, 0, 0, false
	}
	lo, hi = r.RTTs[0], r.RTTs[0]
	var sum float64
	for _, d := range r.RTTs {
		lo, hi = min(lo, d), max(hi, d)
		sum += float64(d)
	}
	mean := sum / float64(len(r.RTTs))
	var sq float64
	for _, d := range r.RTTs {
		sq += (float64(d) - mean) * (float64(d) - mean)
	}
	return lo, time.Duration(mean), hi, time.Duration(math.Sqrt(sq / float64(len(r.RTTs)))), true
}

// CheckPermission opens and closes a raw ICMP socket, returning ErrNoPermission when the
// process lacks root or CAP_NET_RAW. Binaries call it at start to fail clearly.
func CheckPermission() error {
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return ErrNoPermission
		}
		return fmt.Errorf("open raw ICMP socket: %w", err)
	}
	return c.Close()
}
