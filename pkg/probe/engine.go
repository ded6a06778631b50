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

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Engine pings through one shared raw socket per address family, however many targets and
// concurrent callers there are. pro-bing opens a socket per target, and the kernel copies every
// ICMP packet to every raw socket: at hundreds of targets that quadratic cost drops replies and
// burns CPU. Here each request carries a 64-bit token in its payload and the one receive loop
// hands replies to their waiters by token; the echo identifier filters out other processes'
// traffic. Reply times come from the kernel (SO_TIMESTAMPNS) where available.
type Engine struct {
	logger *slog.Logger
	id     int // echo identifier of this engine
	token  atomic.Uint64

	mu      sync.Mutex
	pending map[uint64]*probeState

	v4, v6     *socket
	closeOnce  sync.Once
	sendPacing time.Duration
}

type socket struct {
	conn  *net.IPConn
	proto int // 1 for ICMPv4, 58 for ICMPv6
}

type probeState struct {
	token uint64
	sent  time.Time
	reply chan time.Time // receives the reply time; buffered 1
}

// payload: 8-byte token, then padding to a 56-byte body like ping(8)
const payloadLen = 56

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
	e := &Engine{logger: p.Logger, id: (os.Getpid() ^ rand.IntN(1<<16)) & 0xffff, pending: map[uint64]*probeState{}, sendPacing: p.SendPacing}
	e.token.Store(rand.Uint64() >> 1)
	var err error
	if e.v4, err = openSocket("ip4:icmp", 1, p.ReadBuffer); err != nil {
		return nil, err
	}
	if e.v6, err = openSocket("ip6:ipv6-icmp", 58, p.ReadBuffer); err != nil {
		e.logger.Info("IPv6 ICMP unavailable; IPv6 targets will fail", "err", err)
		e.v6 = nil
	}
	go e.receive(e.v4)
	if e.v6 != nil {
		go e.receive(e.v6)
	}
	return e, nil
}

func openSocket(network string, proto, rbuf int) (*socket, error) {
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
	if rc, err := conn.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
		})
	}
	return &socket{conn: conn, proto: proto}, nil
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

// receive reads replies until the socket closes and wakes their waiters.
func (e *Engine) receive(s *socket) {
	buf := make([]byte, 1500)
	oob := make([]byte, 128)
	for {
		n, oobn, _, _, err := s.conn.ReadMsgIP(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		at := kernelTime(oob[:oobn])
		body := buf[:n]
		if s.proto == 1 && n >= 20 && body[0]>>4 == 4 {
			// ReadMsgIP, unlike ReadFrom, leaves the IPv4 header on
			body = body[int(body[0]&0x0f)*4:]
		}
		msg, err := icmp.ParseMessage(s.proto, body)
		if err != nil {
			continue
		}
		if msg.Type != ipv4.ICMPTypeEchoReply && msg.Type != ipv6.ICMPTypeEchoReply {
			continue
		}
		echo, ok := msg.Body.(*icmp.Echo)
		if !ok || echo.ID != e.id || len(echo.Data) < 8 {
			continue
		}
		tok := binary.BigEndian.Uint64(echo.Data[:8])
		e.mu.Lock()
		st := e.pending[tok]
		delete(e.pending, tok)
		e.mu.Unlock()
		if st != nil {
			st.reply <- at
		}
	}
}

// kernelTime reads the SO_TIMESTAMPNS receive time, or now when there is none.
func kernelTime(oob []byte) time.Time {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_TIMESTAMPNS && len(m.Data) >= 16 {
				sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
				nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
				return time.Unix(sec, nsec)
			}
		}
	}
	return time.Now()
}

var _ interface {
	PingAll(ctx context.Context, targets []Target, opts Options) []Result
} = (*Engine)(nil)

// PingAll pings every target Count times: round k goes to all targets at start + k×Spacing, so
// each target's requests are at least Spacing apart; then it waits up to Timeout after the last
// send for the replies. Results come back in target order.
func (e *Engine) PingAll(ctx context.Context, targets []Target, opts Options) []Result {
	opts.setDefaults()
	out := make([]Result, len(targets))
	waits := make([][]*probeState, len(targets))
	start := time.Now()
	for i, t := range targets {
		out[i] = Result{ID: t.ID, Addr: t.Addr, At: start.UTC(), Sent: opts.Count}
		waits[i] = make([]*probeState, 0, opts.Count)
	}
	var lastSend time.Time
	for k := 0; k < opts.Count && ctx.Err() == nil; k++ {
		if k > 0 && !sleepUntil(ctx, start.Add(time.Duration(k)*opts.Spacing)) {
			break
		}
		for i, t := range targets {
			st, err := e.send(t.Addr, uint16(k))
			if err != nil {
				out[i].Err = err
				continue
			}
			waits[i] = append(waits[i], st)
			if e.sendPacing > 0 {
				time.Sleep(e.sendPacing)
			}
		}
		lastSend = time.Now()
	}
	deadline := lastSend.Add(opts.Timeout)
	for i := range targets {
		for _, st := range waits[i] {
			if at, ok := e.await(ctx, st, deadline); ok {
				out[i].RTTs = append(out[i].RTTs, max(at.Sub(st.sent), time.Microsecond))
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

// await waits for one reply until deadline; a reply that never came is forgotten.
func (e *Engine) await(ctx context.Context, st *probeState, deadline time.Time) (time.Time, bool) {
	select {
	case at := <-st.reply:
		return at, true
	default:
	}
	tm := time.NewTimer(time.Until(deadline))
	defer tm.Stop()
	select {
	case at := <-st.reply:
		return at, true
	case <-tm.C:
	case <-ctx.Done():
	}
	e.forget(st)
	return time.Time{}, false
}

func (e *Engine) forget(st *probeState) {
	e.mu.Lock()
	delete(e.pending, st.token)
	e.mu.Unlock()
}

// send writes one echo request and registers its waiter.
func (e *Engine) send(addr netip.Addr, seq uint16) (*probeState, error) {
	s, typ := e.v4, icmp.Type(ipv4.ICMPTypeEcho)
	if addr.Is6() {
		if e.v6 == nil {
			return nil, fmt.Errorf("ping %s: IPv6 ICMP unavailable on this host", addr)
		}
		s, typ = e.v6, ipv6.ICMPTypeEchoRequest
	}
	tok := e.token.Add(1)
	data := make([]byte, payloadLen)
	binary.BigEndian.PutUint64(data, tok)
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: e.id, Seq: int(uint16(tok)) ^ int(seq), Data: data}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("marshal echo to %s: %w", addr, err)
	}
	st := &probeState{token: tok, reply: make(chan time.Time, 1)}
	e.mu.Lock()
	e.pending[tok] = st
	e.mu.Unlock()
	dst := &net.IPAddr{IP: addr.AsSlice()}
	for attempt := 0; ; attempt++ {
		st.sent = time.Now()
		_, err = s.conn.WriteTo(b, dst)
		if err == nil || attempt >= 5 || !errors.Is(err, syscall.ENOBUFS) {
			break
		}
		time.Sleep(time.Millisecond << attempt) // the send queue is full: back off briefly
	}
	if err != nil {
		e.mu.Lock()
		delete(e.pending, tok)
		e.mu.Unlock()
		return nil, fmt.Errorf("send echo to %s: %w", addr, err)
	}
	return st, nil
}
