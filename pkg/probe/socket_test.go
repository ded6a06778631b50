package probe

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

func TestChecksumMatchesXNet(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id, seq int
		data    []byte
	}{
		{"zeros", 0, 0, make([]byte, payloadLen)},
		{"ones", 0xffff, 0xffff, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"odd length", 0x1234, 7, []byte{1, 2, 3}},
		{"payload", 0xbeef, 2, []byte("0123456789abcdef0123456789abcdef0123456789abcdef01234567")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: tc.id, Seq: tc.seq, Data: tc.data}}).Marshal(nil)
			if err != nil {
				t.Fatal(err)
			}
			want := binary.BigEndian.Uint16(b[2:4])
			b[2], b[3] = 0, 0
			if got := checksum(b); got != want {
				t.Errorf("checksum = %#04x, x/net/icmp says %#04x", got, want)
			}
		})
	}
}

func TestEchoReplyFilter(t *testing.T) {
	const id = 0x4242
	ipHeader := func(ihl int) []byte { h := make([]byte, ihl*4); h[0] = 0x40 | byte(ihl); return h }
	echo := func(typ byte, id uint16) []byte {
		b := make([]byte, echoLen)
		b[0] = typ
		binary.BigEndian.PutUint16(b[4:6], id)
		return b
	}
	tests := []struct {
		name   string
		v4     bool
		pkt    []byte
		accept bool
	}{
		{"v4 our reply", true, append(ipHeader(5), echo(0, id)...), true},
		{"v4 our reply, IP options", true, append(ipHeader(7), echo(0, id)...), true},
		{"v4 another pinger's reply", true, append(ipHeader(5), echo(0, id+1)...), false},
		{"v4 our request looped back", true, append(ipHeader(5), echo(8, id)...), false},
		{"v4 unreachable", true, append(ipHeader(5), echo(3, id)...), false},
		{"v6 our reply", false, echo(129, id), true},
		{"v6 another pinger's reply", false, echo(129, 7), false},
		{"v6 request", false, echo(128, id), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prog []bpf.Instruction
			for _, ri := range echoReplyFilter(tc.v4, id) {
				prog = append(prog, ri.Disassemble())
			}
			vm, err := bpf.NewVM(prog)
			if err != nil {
				t.Fatal(err)
			}
			n, err := vm.Run(tc.pkt)
			if err != nil {
				t.Fatal(err)
			}
			if got := n > 0; got != tc.accept {
				t.Errorf("accepted = %v, want %v", got, tc.accept)
			}
		})
	}
}

func TestKernelTime(t *testing.T) {
	cmsg := func(level, typ int32, data []byte) []byte {
		b := make([]byte, (unix.SizeofCmsghdr+len(data)+7)&^7)
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = level, typ
		h.SetLen(unix.SizeofCmsghdr + len(data))
		copy(b[unix.SizeofCmsghdr:], data)
		return b
	}
	ts := make([]byte, 16)
	binary.NativeEndian.PutUint64(ts[0:8], 1700000000)
	binary.NativeEndian.PutUint64(ts[8:16], 123456789)
	const want int64 = 1700000000*1e9 + 123456789
	if got := kernelTime(cmsg(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, ts)); got != want {
		t.Errorf("one message: %d, want %d", got, want)
	}
	other := cmsg(unix.IPPROTO_IP, unix.IP_TTL, []byte{64, 0, 0, 0})
	if got := kernelTime(append(other, cmsg(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, ts)...)); got != want {
		t.Errorf("after another message: %d, want %d", got, want)
	}
	for name, oob := range map[string][]byte{"empty": nil, "truncated": cmsg(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, ts)[:20], "bad length": {255, 255, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 35, 0, 0, 0}} {
		if got := kernelTime(oob); got < want {
			t.Errorf("%s: %d, want now", name, got)
		}
	}
}
