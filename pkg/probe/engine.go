package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// Engine pings through one shared raw socket per address family, however many targets and
// concurrent callers there are. pro-bing opens a socket per target, and the kernel copies every
// ICMP packet to every raw socket: at hundreds of targets that quadratic cost drops replies and
// burns CPU.
//
// The per-echo cost is kept near fping's: the kernel drops everything but echo replies carrying
// this engine's identifier before they reach the socket (ICMP_FILTER plus a BPF program on the
// identifier), so the engine neither reads the echo requests that loopback and other pingers put
// on every raw socket nor other workers' replies; replies are read in batches of up to
// readBatch per system call (recvmmsg) and parsed in place; each request carries (call, slot) in
// its payload, so a reply lands in its PingAll call's slot array without a map, channel or timer
// per echo. Reply times come from the kernel (SO_TIMESTAMPNS). Requests are still sent one per
// system call, like fping: a batched send would stamp every request of the batch with one time.
type Engine struct {
	logger *slog.Logger
	id     int // echo identifier of this engine

	calls  sync.Map // uint32 → *call: the PingAll calls waiting for replies
	nextID atomic.Uint32

	v4, v6     *socket
	closeOnce  sync.Once
	sendPacing time.Duration
	// beforeSend, when set (tests), runs before each request is written: it stands in for a
	// write that waits on the shared socket.
	beforeSend func(target, round int)
}

type socket struct {
	conn  *net.IPConn
	raw   syscall.RawConn
	proto int // 1 for ICMPv4, 58 for ICMPv6
}

// call is one PingAll's requests: slot = target index × count + round.
type call struct {
	id        uint32
	count     int            // requests per target: slot = target×count + round
	addrs     []netip.Addr   // each target's address, the only source a reply may come from
	sent      []int64        // unix ns when each slot's request was sent; 0 = not sent
	replied   []atomic.Int64 // unix ns of each slot's first reply; 0 = none yet
	remaining atomic.Int64   // requests still expecting a reply
	done      chan struct{}  // closed when remaining reaches 0
	doneOnce  sync.Once
}

func (c *call) settle(n int64) {
	if c.remaining.Add(-n) <= 0 {
		c.doneOnce.Do(func() { close(c.done) })
	}
}

// payload: 4-byte call id, 4-byte slot, then padding to a 56-byte body like ping(8)
const (
	payloadLen = 56
	echoLen    = 8 + payloadLen
	readBatch  = 64
)

// EngineParams configures NewEngine.
type EngineParams struct {
	Logger *slog.Logger
	// ReadBuffer of each socket (default 8 MiB) so bursts of replies are not dropped.
	ReadBuffer int
	// SendPacing waits between consecutive sends of one round (default 0: as fast as the socket takes them).
	SendPacing time.Duration
}

// NewEngine opens the shared sockets (IPv4 always, IPv6 when the host has it) and starts the
// receive loops; Close stops them. It returns ErrNoPermission without root or CAP_NET_RAW.
func NewEngine(p EngineParams) (*Engine, error) {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.ReadBuffer <= 0 {
		p.ReadBuffer = 8 << 20
	}
	e := &Engine{logger: p.Logger, id: (os.Getpid() ^ rand.IntN(1<<16)) & 0xffff, sendPacing: p.SendPacing}
	e.nextID.Store(rand.Uint32())
	var err error
	if e.v4, err = e.openSocket("ip4:icmp", 1, p.ReadBuffer); err != nil {
		return nil, err
	}
	if e.v6, err = e.openSocket("ip6:ipv6-icmp", 58, p.ReadBuffer); err != nil {
		e.logger.Info("IPv6 ICMP unavailable; IPv6 targets will fail", "err", err)
		e.v6 = nil
	}
	go e.receive(e.v4)
	if e.v6 != nil {
		go e.receive(e.v6)
	}
	return e, nil
}

func (e *Engine) openSocket(network string, proto, rbuf int) (*socket, error) {
	pc, err := net.ListenPacket(network, "")
	if err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, ErrNoPermission
		}
		return nil, fmt.Errorf("open %s socket: %w", network, err)
	}
	conn := pc.(*net.IPConn)
	_ = conn.SetReadBuffer(rbuf)
	_ = conn.SetWriteBuffer(rbuf)
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open %s socket: %w", network, err)
	}
	_ = raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	})
	// Kernel-side filters are an optimisation: without them the receive loop still checks
	// type and identifier itself, so a failure is logged, not fatal.
	if err := e.filter(conn, proto); err != nil {
		e.logger.Info("ICMP socket filter unavailable; every ICMP packet on the host will be read and checked", "socket", network, "err", err)
	}
	return &socket{conn: conn, raw: raw, proto: proto}, nil
}

// filter lets only echo replies with this engine's identifier reach the socket.
func (e *Engine) filter(conn *net.IPConn, proto int) error {
	if proto == 1 {
		pc := ipv4.NewPacketConn(conn)
		var f ipv4.ICMPFilter
		f.SetAll(true)
		f.Accept(ipv4.ICMPTypeEchoReply)
		if err := pc.SetICMPFilter(&f); err != nil {
			return fmt.Errorf("ICMP_FILTER: %w", err)
		}
		if err := pc.SetBPF(echoReplyFilter(true, e.id)); err != nil {
			return fmt.Errorf("BPF: %w", err)
		}
		return nil
	}
	pc := ipv6.NewPacketConn(conn)
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeEchoReply)
	if err := pc.SetICMPFilter(&f); err != nil {
		return fmt.Errorf("ICMP6_FILTER: %w", err)
	}
	if err := pc.SetBPF(echoReplyFilter(false, e.id)); err != nil {
		return fmt.Errorf("BPF: %w", err)
	}
	return nil
}

// Close stops the receive loops and closes the sockets.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		_ = e.v4.conn.Close()
		if e.v6 != nil {
			_ = e.v6.conn.Close()
		}
	})
	return nil
}

// receive reads replies in batches until the socket closes and records them in their calls.
func (e *Engine) receive(s *socket) {
	r := newBatchReader(readBatch, 1500, 128)
	for {
		n, err := r.read(s.raw)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, unix.EBADF) {
				return
			}
			e.logger.Debug("ICMP read", "err", err)
			time.Sleep(time.Millisecond)
			continue
		}
		for i := range n {
			body, oob, src := r.message(i)
			e.deliver(s.proto, body, oob, src)
		}
	}
}

// deliver parses one received packet in place and records it when it is a reply to one of
// this engine's requests. The payload (identifier, call, slot) names the request; a reply is
// credited only if it also comes from the address the request went to, carries the request's
// sequence number and, for ICMPv4, has a valid checksum (the kernel verifies ICMPv6's): a
// corrupted reply or one forged or reflected from another host is not an answer.
func (e *Engine) deliver(proto int, body, oob []byte, src netip.Addr) {
	if proto == 1 && len(body) >= 20 && body[0]>>4 == 4 {
		// raw IPv4 sockets return the IP header; its source is the reply's sender
		if !src.IsValid() {
			src = netip.AddrFrom4([4]byte(body[12:16]))
		}
		body = body[int(body[0]&0x0f)*4:]
	}
	if len(body) < 16 {
		return
	}
	if (proto == 1 && body[0] != 0) || (proto == 58 && body[0] != 129) || body[1] != 0 {
		return // not an echo reply
	}
	if int(binary.BigEndian.Uint16(body[4:6])) != e.id {
		return
	}
	if proto == 1 && checksum(body) != 0 {
		return // damaged on the way
	}
	v, ok := e.calls.Load(binary.BigEndian.Uint32(body[8:12]))
	if !ok {
		return // a reply after its call gave up, or another engine's
	}
	c := v.(*call)
	slot := binary.BigEndian.Uint32(body[12:16])
	if int(slot) >= len(c.replied) || c.count <= 0 {
		return
	}
	if int(binary.BigEndian.Uint16(body[6:8])) != int(slot)%c.count {
		return // the sequence number is not the request's
	}
	if want := c.addrs[int(slot)/c.count]; !src.IsValid() || src.WithZone("") != want.Unmap().WithZone("") {
		return // from another address than the request went to
	}
	if c.replied[slot].CompareAndSwap(0, kernelTime(oob)) {
		c.settle(1)
	}
}

// kernelTime reads the SO_TIMESTAMPNS receive time (unix ns) from a control message buffer,
// or now when there is none.
func kernelTime(oob []byte) int64 {
	const hdr = unix.SizeofCmsghdr
	for len(oob) >= hdr {
		h := (*unix.Cmsghdr)(unsafePointer(oob))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			break
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(oob[hdr : hdr+8]))
			nsec := int64(binary.NativeEndian.Uint64(oob[hdr+8 : hdr+16]))
			return sec*1e9 + nsec
		}
		adv := (l + 7) &^ 7 // CMSG_ALIGN on 64-bit
		if adv > len(oob) {
			break
		}
		oob = oob[adv:]
	}
	return time.Now().UnixNano()
}

var _ interface {
	PingAll(ctx context.Context, targets []Target, opts Options) []Result
} = (*Engine)(nil)

// PingAll pings every target Count times: round k goes to all targets from start + k×Spacing
// on, and no target's request leaves less than Spacing after its previous one (a round that ran
// late — a big batch, a full send queue — delays the next target's request rather than sending
// it at once); then it waits up to Timeout after the last send for the replies. Results come back
// in target order.
func (e *Engine) PingAll(ctx context.Context, targets []Target, opts Options) []Result {
	opts.setDefaults()
	out := make([]Result, len(targets))
	start := time.Now()
	for i, t := range targets {
		out[i] = Result{ID: t.ID, Addr: t.Addr, At: start.UTC(), Sent: opts.Count}
	}
	slots := len(targets) * opts.Count
	c := &call{id: e.nextID.Add(1), count: opts.Count, addrs: make([]netip.Addr, len(targets)),
		sent: make([]int64, slots), replied: make([]atomic.Int64, slots), done: make(chan struct{})}
	for i, t := range targets {
		c.addrs[i] = t.Addr
	}
	c.remaining.Store(int64(slots))
	e.calls.Store(c.id, c)
	defer e.calls.Delete(c.id)

	w := newSender(e.id, c.id)
	lastSend, sentSlots := start, 0
	for k := 0; k < opts.Count && ctx.Err() == nil; k++ {
		if k > 0 && !sleepUntil(ctx, start.Add(time.Duration(k)*opts.Spacing)) {
			break
		}
		for i, t := range targets {
			slot := i*opts.Count + k
			if k > 0 && c.sent[slot-1] != 0 && !sleepUntil(ctx, time.Unix(0, c.sent[slot-1]).Add(opts.Spacing)) {
				break
			}
			sentSlots++
			if e.beforeSend != nil {
				e.beforeSend(i, k)
			}
			if err := e.send(w, c, slot, t.Addr, uint16(k)); err != nil {
				out[i].Err = err
				c.settle(1)
				continue
			}
			if e.sendPacing > 0 {
				time.Sleep(e.sendPacing)
			}
		}
		lastSend = time.Now()
	}
	if unsent := slots - sentSlots; unsent > 0 { // cancelled between rounds: unsent requests count as lost, as with pro-bing
		c.settle(int64(unsent))
	}
	tm := time.NewTimer(time.Until(lastSend.Add(opts.Timeout)))
	select {
	case <-c.done:
	case <-tm.C:
	case <-ctx.Done():
	}
	tm.Stop()
	e.calls.Delete(c.id)
	for i := range targets {
		for k := range opts.Count {
			slot := i*opts.Count + k
			if at := c.replied[slot].Load(); at != 0 && c.sent[slot] != 0 {
				out[i].RTTs = append(out[i].RTTs, max(time.Duration(at-c.sent[slot]), time.Microsecond))
			}
		}
		out[i].Received = len(out[i].RTTs)
	}
	return out
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// send writes one echo request for slot of c to addr.
func (e *Engine) send(w *sender, c *call, slot int, addr netip.Addr, seq uint16) error {
	s := e.v4
	if addr.Is6() {
		if e.v6 == nil {
			return fmt.Errorf("ping %s: IPv6 ICMP unavailable on this host", addr)
		}
		s = e.v6
	}
	if err := w.prepare(addr, uint32(slot), seq); err != nil {
		return err
	}
	var err error
	for attempt := 0; ; attempt++ {
		c.sent[slot] = time.Now().UnixNano()
		err = w.write(s.raw)
		if err == nil || attempt >= 5 || !errors.Is(err, unix.ENOBUFS) {
			break
		}
		time.Sleep(time.Millisecond << attempt) // the send queue is full: back off briefly
	}
	if err != nil {
		c.sent[slot] = 0
		return fmt.Errorf("send echo to %s: %w", addr, err)
	}
	return nil
}
