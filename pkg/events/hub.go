package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/redis/go-redis/v9"
)

// Hub defaults (cmd/api sets the caps from WARDOPS_SSE_MAX_STREAMS and WARDOPS_SSE_MAX_PER_USER).
const (
	// DefaultMaxStreams bounds the subscribers of one hub (one API process).
	DefaultMaxStreams = 1000
	// DefaultMaxPerUser bounds one user's subscribers in one hub: a NOC wall, a few browser
	// tabs and a script or two, not a flood.
	DefaultMaxPerUser = 10
	// DefaultBuffer is how many events may wait for one subscriber before it counts as slow
	// and is dropped: a burst such as a region's devices all changing status in one ping cycle
	// must not drop a healthy client. A slot is a pointer (the message is shared): 8 KiB a stream.
	DefaultBuffer = 1024
	// DefaultReadyTimeout bounds how long Subscribe waits for the hub's first Redis subscription.
	DefaultReadyTimeout = 5 * time.Second
)

// Why a subscriber ended. A stream sends the reason to its client in a final "end" event:
// after ReasonMaxLife, ReasonResync, ReasonSlow, ReasonShutdown and ReasonUnavailable the
// client reconnects (and reloads what it shows); after ReasonRevoked, ReasonLoggedOut and
// ReasonExpired its credential is gone and it must sign in again.
const (
	ReasonRevoked     = "revoked"     // the token was revoked, or the user disabled, deleted, re-roled or given a new password
	ReasonLoggedOut   = "logged_out"  // the session signed out (or was replaced by a new sign-in)
	ReasonExpired     = "expired"     // the session's idle or absolute timeout, or the token's expiry
	ReasonMaxLife     = "max_life"    // the stream reached its maximum life
	ReasonResync      = "resync"      // the hub's Redis subscription was re-established: events may have been lost
	ReasonSlow        = "slow"        // the subscriber did not keep up and was dropped
	ReasonShutdown    = "shutdown"    // the API is stopping
	ReasonUnavailable = "unavailable" // the credential could not be re-checked (PostgreSQL or Redis down): fail closed
	ReasonClosed      = "closed"      // the subscriber closed itself (the client went away)
)

// Hub errors.
var (
	// ErrTooManyStreams refuses a subscriber beyond the hub's MaxStreams.
	ErrTooManyStreams = errors.New("too many live streams on this API process")
	// ErrTooManyUserStreams refuses a subscriber beyond MaxPerUser streams of its user.
	ErrTooManyUserStreams = errors.New("too many live streams of this user")
	// ErrUnavailable means the hub has no Redis subscription yet (Redis unreachable since start).
	ErrUnavailable = errors.New("live events are unavailable")
	// ErrClosed means the hub was closed.
	ErrClosed = errors.New("live event hub closed")
)

// Filter decides whether a subscriber receives an event; nil receives every event. The hub
// calls it for every event and subscriber, on its one fan-out goroutine with its lock held: it
// must be quick, must not block and must not call the hub. This is the hook for scoped roles
// (a scoped operator sees only the events of its regions or branches): the API builds the
// filter from the caller's identity when the stream opens, so a changed scope takes effect
// when the stream is reopened (a role change ends the user's streams).
type Filter func(Event) bool

// Owner names the credential a subscriber was opened with, so that revocation notices find
// its streams. Session is the session's public handle (auth.Identity.SessionHandle: a hash,
// never the secret id).
type Owner struct {
	UserID  int64
	TokenID int64
	Session string
}

// Message is one event as delivered to subscribers: decoded for the filter, and the payload
// exactly as published, for the stream to forward. Every subscriber gets the same *Message:
// read it, never change it.
type Message struct {
	Event   Event
	Payload []byte
}

// HubParams configure NewHub. Redis is required.
type HubParams struct {
	Redis redis.UniversalClient
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Channel is the events channel (default ChannelFor(Redis)).
	Channel string
	// RevokedChannel carries revocation notices (default RevokedChannel; auth.Service's
	// RevokedChannel() when its Redis prefix is not the default).
	RevokedChannel string
	// MaxStreams (default DefaultMaxStreams) and MaxPerUser (default DefaultMaxPerUser) cap
	// the subscribers; beyond them Subscribe answers ErrTooManyStreams / ErrTooManyUserStreams.
	MaxStreams int
	MaxPerUser int
	// Buffer is each subscriber's queue (default DefaultBuffer).
	Buffer int
	// ReadyTimeout (default DefaultReadyTimeout) bounds the first Subscribe's wait for Redis.
	ReadyTimeout time.Duration
	// Metrics receives wardops_sse_* (default: a private set).
	Metrics *metrics.Set
}

func (p *HubParams) setDefaults() {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Channel == "" {
		p.Channel = ChannelFor(p.Redis)
	}
	if p.RevokedChannel == "" {
		p.RevokedChannel = RevokedChannel
	}
	if p.MaxStreams <= 0 {
		p.MaxStreams = DefaultMaxStreams
	}
	if p.MaxPerUser <= 0 {
		p.MaxPerUser = DefaultMaxPerUser
	}
	if p.Buffer <= 0 {
		p.Buffer = DefaultBuffer
	}
	if p.ReadyTimeout <= 0 {
		p.ReadyTimeout = DefaultReadyTimeout
	}
	if p.Metrics == nil {
		p.Metrics = metrics.NewSet()
	}
}

// Hub shares one Redis subscription among every live stream of an API process and fans the
// events out in memory, each subscriber through its own bounded queue: a subscriber whose
// queue is full is dropped (ReasonSlow) instead of holding up the others. The same
// subscription carries revocation notices (PublishRevocation), which end the subscribers of
// the revoked credential on every API replica.
//
// The subscription starts with the first Subscribe. go-redis reconnects it by itself when
// Redis drops; while Redis is away the subscribers stay open and receive nothing, and when the
// subscription is re-established the hub ends every subscriber with ReasonResync, because
// events and revocation notices of the gap are lost: clients reconnect, re-authenticating and
// reloading what they show. It is safe for concurrent use.
type Hub struct {
	p    HubParams
	slow *metrics.Counter
	set  *metrics.Set

	mu      sync.Mutex
	subs    map[*Subscriber]struct{}
	perUser map[int64]int
	ps      *redis.PubSub
	ready   chan struct{} // closed once the first subscription is confirmed
	done    chan struct{} // closed when the fan-out loop has returned
	closed  bool
}

// NewHub returns a hub on p.Redis; nothing is subscribed until the first Subscribe.
func NewHub(p HubParams) *Hub {
	p.setDefaults()
	h := &Hub{p: p, set: p.Metrics, subs: map[*Subscriber]struct{}{}, perUser: map[int64]int{}}
	p.Metrics.GetOrCreateGauge("wardops_sse_streams", func() float64 { return float64(h.Len()) })
	h.slow = p.Metrics.GetOrCreateCounter("wardops_sse_dropped_slow_total")
	return h
}

// Len is the number of open subscribers.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// DroppedSlow is how many subscribers were dropped for not keeping up.
func (h *Hub) DroppedSlow() uint64 { return h.slow.Get() }

// Subscribe registers a subscriber for owner's stream that receives the events filter lets
// through (nil: all). It waits (at most ReadyTimeout, or ctx) for the hub's Redis
// subscription the first time, so an event published after Subscribe returns is delivered.
// The caller must Close the subscriber.
func (h *Hub) Subscribe(ctx context.Context, owner Owner, filter Filter) (*Subscriber, error) {
	if err := h.waitReady(ctx); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrClosed
	case len(h.subs) >= h.p.MaxStreams:
		h.refused("process")
		return nil, ErrTooManyStreams
	case h.perUser[owner.UserID] >= h.p.MaxPerUser:
		h.refused("user")
		return nil, ErrTooManyUserStreams
	}
	s := &Subscriber{hub: h, owner: owner, filter: filter, ch: make(chan *Message, h.p.Buffer), done: make(chan struct{})}
	h.subs[s] = struct{}{}
	h.perUser[owner.UserID]++
	return s, nil
}

func (h *Hub) refused(limit string) {
	h.set.GetOrCreateCounter(fmt.Sprintf(`wardops_sse_refused_total{limit=%q}`, limit)).Inc()
}

// waitReady starts the Redis subscription on first use and waits until it is confirmed.
func (h *Hub) waitReady(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	start := h.ready == nil
	if start {
		h.ready, h.done = make(chan struct{}), make(chan struct{})
	}
	ready := h.ready
	h.mu.Unlock()
	if start {
		if err := h.start(ctx); err != nil {
			return err
		}
	}
	t := time.NewTimer(h.p.ReadyTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-t.C:
		return fmt.Errorf("%w: no Redis subscription after %s", ErrUnavailable, h.p.ReadyTimeout)
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
}

// start subscribes (the dial happens outside the hub's lock: it can take the dial timeout
// when Redis is down; go-redis keeps retrying after that) and runs the fan-out loop.
func (h *Hub) start(ctx context.Context) error {
	// the subscription lives as long as the hub, not as the request that started it
	ps := h.p.Redis.Subscribe(context.WithoutCancel(ctx), h.p.Channel, h.p.RevokedChannel)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed { // closed while dialling
		_ = ps.Close()
		close(h.done)
		return ErrClosed
	}
	h.ps = ps
	go h.run(ps, h.ready, h.done)
	return nil
}

// run is the fan-out loop: one goroutine per hub, reading the one subscription.
func (h *Hub) run(ps *redis.PubSub, ready, done chan struct{}) {
	defer close(done)
	confirmed := map[string]bool{}
	for m := range ps.ChannelWithSubscriptions(redis.WithChannelSize(1000)) {
		switch m := m.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if confirmed[m.Channel] { // a re-subscription: go-redis reconnected after a drop
				h.p.Logger.Warn("live events resubscribed after a Redis drop; ending streams to resync", "channel", m.Channel)
				h.endWhere(func(*Subscriber) bool { return true }, ReasonResync)
				continue
			}
			confirmed[m.Channel] = true
			if confirmed[h.p.Channel] && confirmed[h.p.RevokedChannel] {
				select {
				case <-ready:
				default:
					close(ready)
				}
			}
		case *redis.Message:
			if m.Channel == h.p.RevokedChannel {
				h.revoke(m.Payload)
			} else {
				h.fanOut(m.Payload)
			}
		}
	}
}

// fanOut queues one event for every subscriber whose filter takes it, dropping the full ones.
func (h *Hub) fanOut(payload string) {
	var ev Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		h.p.Logger.Warn("live event is not JSON; skipped", "err", err)
		return
	}
	msg := &Message{Event: ev, Payload: []byte(payload)}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(ev) {
			continue
		}
		select {
		case s.ch <- msg:
		default:
			h.slow.Inc()
			h.endLocked(s, ReasonSlow)
		}
	}
}

// revoke ends the subscribers a revocation notice names.
func (h *Hub) revoke(payload string) {
	var r Revocation
	if err := json.Unmarshal([]byte(payload), &r); err != nil {
		h.p.Logger.Warn("revocation notice is not JSON; skipped", "err", err)
		return
	}
	reason := r.Reason
	if reason == "" {
		reason = ReasonRevoked
	}
	h.endWhere(func(s *Subscriber) bool { return r.Matches(s.owner) }, reason)
}

// endWhere ends every subscriber match selects.
func (h *Hub) endWhere(match func(*Subscriber) bool, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if match(s) {
			h.endLocked(s, reason)
		}
	}
}

// endLocked removes s and tells it why; h.mu is held.
func (h *Hub) endLocked(s *Subscriber, reason string) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	if h.perUser[s.owner.UserID]--; h.perUser[s.owner.UserID] <= 0 {
		delete(h.perUser, s.owner.UserID)
	}
	s.reason = reason
	close(s.done)
	h.set.GetOrCreateCounter(fmt.Sprintf(`wardops_sse_ended_total{reason=%q}`, reason)).Inc()
}

// Close ends every subscriber with ReasonShutdown and closes the Redis subscription.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	for s := range h.subs {
		h.endLocked(s, ReasonShutdown)
	}
	ps, done := h.ps, h.done
	h.mu.Unlock()
	if ps == nil {
		return nil // never started, or start will see closed and stop
	}
	err := ps.Close()
	<-done
	if err != nil {
		return fmt.Errorf("close live event subscription: %w", err)
	}
	return nil
}

// Subscriber is one stream's place in the hub.
type Subscriber struct {
	hub    *Hub
	owner  Owner
	filter Filter
	ch     chan *Message
	done   chan struct{}
	reason string // set before done is closed
}

// C delivers the subscriber's events in the order they were published.
func (s *Subscriber) C() <-chan *Message { return s.ch }

// Done is closed when the hub ends the subscriber (revoked, slow, resync, shutdown, …);
// Reason then says why.
func (s *Subscriber) Done() <-chan struct{} { return s.done }

// Reason is why the subscriber ended (one of the Reason* constants), "" while it is open.
func (s *Subscriber) Reason() string {
	select {
	case <-s.done:
		return s.reason
	default:
		return ""
	}
}

// Owner is the credential the subscriber was opened with.
func (s *Subscriber) Owner() Owner { return s.owner }

// End ends the subscriber with reason (the stream's own limits: max life, expiry); it is a
// no-op if it has already ended.
func (s *Subscriber) End(reason string) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.endLocked(s, reason)
}

// Close releases the subscriber's place (ReasonClosed if it was still open).
func (s *Subscriber) Close() { s.End(ReasonClosed) }
