package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The engine's system calls, written against the socket's file descriptor so that the hot path
// allocates nothing per echo: net.IPConn builds a sockaddr per send and returns one packet per
// read. Linux only, like the rest of WardOps.

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }

// sender builds and writes echo requests of one PingAll call; not safe for concurrent use.
type sender struct {
	pkt [echoLen]byte
	sa4 unix.SockaddrInet4
	sa6 unix.SockaddrInet6
	to  unix.Sockaddr
	err error
	fn  func(fd uintptr) bool
}

func newSender(id int, callID uint32) *sender {
	w := &sender{}
	binary.BigEndian.PutUint16(w.pkt[4:6], uint16(id))
	binary.BigEndian.PutUint32(w.pkt[8:12], callID)
	w.fn = w.sendto
	return w
}

// prepare fills in the request for slot to addr: type, sequence number, slot and, for IPv4,
// the checksum (the kernel computes ICMPv6's).
func (w *sender) prepare(addr netip.Addr, slot uint32, seq uint16) error {
	binary.BigEndian.PutUint16(w.pkt[6:8], seq)
	binary.BigEndian.PutUint32(w.pkt[12:16], slot)
	w.pkt[2], w.pkt[3] = 0, 0
	if addr.Is4() {
		w.pkt[0] = 8 // echo request
		w.sa4.Addr = addr.As4()
		w.to = &w.sa4
		cs := checksum(w.pkt[:])
		w.pkt[2], w.pkt[3] = byte(cs>>8), byte(cs)
		return nil
	}
	w.pkt[0] = 128 // ICMPv6 echo request
	w.sa6.Addr = addr.As16()
	w.sa6.ZoneId = 0
	if z := addr.Zone(); z != "" {
		ifi, err := netInterfaceIndex(z)
		if err != nil {
			return fmt.Errorf("ping %s: zone: %w", addr, err)
		}
		w.sa6.ZoneId = uint32(ifi)
	}
	w.to = &w.sa6
	return nil
}

func (w *sender) sendto(fd uintptr) bool {
	w.err = unix.Sendto(int(fd), w.pkt[:], 0, w.to)
	return !errors.Is(w.err, unix.EAGAIN) // EAGAIN: wait until the socket is writable
}

// write sends the prepared request on raw.
func (w *sender) write(raw syscall.RawConn) error {
	if err := raw.Write(w.fn); err != nil {
		return err
	}
	return w.err
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// mmsghdr is struct mmsghdr of <sys/socket.h> on 64-bit Linux.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// batchReader reads up to len(hdrs) packets, each with its control messages, per recvmmsg.
type batchReader struct {
	bufs, oobs [][]byte
	names      []unix.RawSockaddrInet6 // each packet's source (an IPv4 sockaddr fits too)
	iovs       []unix.Iovec
	hdrs       []mmsghdr
	n          int
	err        error
	fn         func(fd uintptr) bool
}

func newBatchReader(n, bufLen, oobLen int) *batchReader {
	r := &batchReader{bufs: make([][]byte, n), oobs: make([][]byte, n), names: make([]unix.RawSockaddrInet6, n),
		iovs: make([]unix.Iovec, n), hdrs: make([]mmsghdr, n)}
	for i := range n {
		r.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		r.bufs[i], r.oobs[i] = make([]byte, bufLen), make([]byte, oobLen)
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(bufLen)
		r.hdrs[i].hdr.Iov = &r.iovs[i]
		r.hdrs[i].hdr.SetIovlen(1)
		r.hdrs[i].hdr.Control = &r.oobs[i][0]
	}
	r.fn = r.recvmmsg
	return r
}

func (r *batchReader) recvmmsg(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].hdr.SetControllen(len(r.oobs[i]))
		r.hdrs[i].hdr.Flags = 0
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
	if errno == unix.EAGAIN {
		return false // nothing queued: wait for the poller
	}
	r.n, r.err = int(n), nil
	if errno != 0 {
		r.n, r.err = 0, errno
	}
	return true
}

// read waits for at least one packet and returns how many were read.
func (r *batchReader) read(raw syscall.RawConn) (int, error) {
	if err := raw.Read(r.fn); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// message returns the i-th packet of the last read, its control messages and its source
// address (invalid when the kernel gave none).
func (r *batchReader) message(i int) (body, oob []byte, src netip.Addr) {
	h := &r.hdrs[i]
	switch sa := &r.names[i]; {
	case h.hdr.Namelen >= unix.SizeofSockaddrInet4 && sa.Family == unix.AF_INET:
		src = netip.AddrFrom4((*unix.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr)
	case h.hdr.Namelen >= unix.SizeofSockaddrInet6 && sa.Family == unix.AF_INET6:
		src = netip.AddrFrom16(sa.Addr).Unmap()
	}
	return r.bufs[i][:min(int(h.len), len(r.bufs[i]))], r.oobs[i][:min(int(h.hdr.Controllen), len(r.oobs[i]))], src
}

// echoReplyFilter is a BPF program that keeps only echo replies with identifier id: for IPv4
// the raw socket sees the IP header first, for ICMPv6 the ICMP header.
func echoReplyFilter(v4 bool, id int) []bpf.RawInstruction {
	var prog []bpf.Instruction
	if v4 {
		prog = []bpf.Instruction{
			bpf.LoadMemShift{Off: 0},          // X = IP header length
			bpf.LoadIndirect{Off: 0, Size: 1}, // A = ICMP type
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipFalse: 3},
			bpf.LoadIndirect{Off: 4, Size: 2}, // A = echo identifier
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(id), SkipFalse: 1},
			bpf.RetConstant{Val: 1 << 16},
			bpf.RetConstant{Val: 0},
		}
	} else {
		prog = []bpf.Instruction{
			bpf.LoadAbsolute{Off: 0, Size: 1}, // ICMPv6 type
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: 129, SkipFalse: 3},
			bpf.LoadAbsolute{Off: 4, Size: 2}, // echo identifier
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(id), SkipFalse: 1},
			bpf.RetConstant{Val: 1 << 16},
			bpf.RetConstant{Val: 0},
		}
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		panic(fmt.Sprintf("probe: echo reply filter: %v", err)) // a constant program: a bug if it fails
	}
	return raw
}

// netInterfaceIndex resolves an IPv6 zone (an interface name or number) to its index.
func netInterfaceIndex(zone string) (int, error) {
	if n, err := strconv.Atoi(zone); err == nil {
		return n, nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}
