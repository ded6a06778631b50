package probe

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
	"testing"
)

// A reply is credited to its request only when it is an echo reply of this engine, to a live
// call and slot, with the request's sequence number, from the address the request went to and
// (ICMPv4) with a valid checksum — the cases a wire-timestamped responder found us fooled by
// (issue #20: a bad-checksum reply and a reply from another source were both taken).
func TestDeliverChecksReplies(t *testing.T) {
	const engineID, callID = 0x1234, 7
	v4, v6 := netip.MustParseAddr("127.0.0.5"), netip.MustParseAddr("::1")
	// v4reply is an IPv4 datagram from src carrying an echo reply for slot with seq.
	v4reply := func(src netip.Addr, slot uint32, seq uint16, mangle func([]byte)) []byte {
		p := make([]byte, 20+64)
		p[0] = 0x45
		copy(p[12:16], src.AsSlice())
		icmp := p[20:]
		icmp[0] = 0 // echo reply
		binary.BigEndian.PutUint16(icmp[4:6], engineID)
		binary.BigEndian.PutUint16(icmp[6:8], seq)
		binary.BigEndian.PutUint32(icmp[8:12], callID)
		binary.BigEndian.PutUint32(icmp[12:16], slot)
		cs := checksum(icmp)
		icmp[2], icmp[3] = byte(cs>>8), byte(cs)
		if mangle != nil {
			mangle(icmp)
		}
		return p
	}
	v6reply := func(slot uint32, seq uint16) []byte {
		p := make([]byte, 64)
		p[0] = 129
		binary.BigEndian.PutUint16(p[4:6], engineID)
		binary.BigEndian.PutUint16(p[6:8], seq)
		binary.BigEndian.PutUint32(p[8:12], callID)
		binary.BigEndian.PutUint32(p[12:16], slot)
		return p
	}
	// targets: 0 = 127.0.0.5, 1 = ::1; three requests each: slot = target×3 + round
	tests := []struct {
		name     string
		proto    int
		pkt      []byte
		src      netip.Addr
		slot     int
		credited bool
	}{
		{"v4 reply", 1, v4reply(v4, 1, 1, nil), v4, 1, true},
		{"v4 reply, source from the IP header", 1, v4reply(v4, 2, 2, nil), netip.Addr{}, 2, true},
		{"bad checksum", 1, v4reply(v4, 0, 0, func(b []byte) { b[40] ^= 0xff }), v4, 0, false},
		{"from another address", 1, v4reply(netip.MustParseAddr("127.0.0.9"), 0, 0, nil), netip.MustParseAddr("127.0.0.9"), 0, false},
		{"wrong sequence", 1, v4reply(v4, 0, 2, nil), v4, 0, false},
		{"another engine", 1, v4reply(v4, 0, 0, func(b []byte) { b[5]++; b[3]-- }), v4, 0, false},
		{"v6 reply", 58, v6reply(4, 1), v6, 4, true},
		{"v6 from the v4 target's slot", 58, v6reply(0, 0), v6, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{id: engineID}
			c := &call{id: callID, count: 3, addrs: []netip.Addr{v4, v6}, sent: make([]int64, 6), replied: make([]atomic.Int64, 6),
				done: make(chan struct{})}
			c.remaining.Store(6)
			e.calls.Store(uint32(callID), c)
			e.deliver(tc.proto, tc.pkt, nil, tc.src)
			if got := c.replied[tc.slot].Load() != 0; got != tc.credited {
				t.Errorf("credited = %v, want %v", got, tc.credited)
			}
			for i := range c.replied {
				if i != tc.slot && c.replied[i].Load() != 0 {
					t.Errorf("slot %d credited too", i)
				}
			}
		})
	}
}
