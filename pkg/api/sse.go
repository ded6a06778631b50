package api

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/httpsec"
)

// Live-stream timing.
const (
	// sseHeartbeat keeps idle streams open through proxies and lets a client notice a dead API.
	sseHeartbeat = 15 * time.Second
	// sseWriteTimeout bounds one write to a stream: a client that stops reading is let go
	// instead of holding a goroutine (the hub drops it meanwhile when its queue fills).
	sseWriteTimeout = 10 * time.Second
	// sseRetryAfter is the Retry-After of a refused stream, in seconds.
	sseRetryAfter = 30
	// DefaultStreamMaxLife ends a stream this long after it opened (WARDOPS_SSE_MAX_LIFE).
	DefaultStreamMaxLife = time.Hour
	// DefaultStreamRecheck is how often a stream re-checks its credential: the safety net
	// behind revocation notices (a notice lost to a Redis blip, a replica that missed it).
	DefaultStreamRecheck = 30 * time.Second
)

// StreamParams bound the live-event streams of GET /api/v1/events.
type StreamParams struct {
	// MaxLife (default DefaultStreamMaxLife) ends a stream with reason max_life; each stream's
	// life is shortened by up to a tenth at random, so that clients that connected together
	// (after a deploy) do not all reconnect together.
	MaxLife time.Duration
	// Recheck (default DefaultStreamRecheck) is the longest time between two checks of a
	// stream's credential; a session is also checked when its idle or absolute timeout falls
	// due, a token when it expires.
	Recheck time.Duration
}

func (p *StreamParams) setDefaults() {
	if p.MaxLife <= 0 {
		p.MaxLife = DefaultStreamMaxLife
	}
	if p.Recheck <= 0 {
		p.Recheck = DefaultStreamRecheck
	}
}

// liveEvents streams live events (status changes, alerts) as server-sent events. Every stream
// is tied to the credential that opened it: it ends, with a final "event: end" whose data is
// {"reason":…} (events.Reason*), when that credential is revoked, signed out or expires, when
// the user is disabled, deleted, re-roled or given a new password (revocation notices from any
// replica, backed by a periodic re-check), at its maximum life, when it falls behind, and at
// shutdown. Streams are capped per user and per process (429 too_many_streams). Browsers'
// EventSource reconnects by itself; "retry: 2000" asks it to do so after 2 s.
func (s *Server) liveEvents(c *echo.Context) error {
	id, ok := auth.Principal(c)
	if !ok { // the route's guard lets no anonymous caller through; fail closed all the same
		return httpsec.NewError(http.StatusUnauthorized, "unauthorized", "sign in first", "")
	}
	ctx := c.Request().Context()
	owner := events.Owner{UserID: id.UserID, TokenID: id.TokenID, Session: id.SessionHandle()}
	sub, err := s.hub.Subscribe(ctx, owner, s.eventFilter(id))
	if err != nil {
		return s.streamRefused(c, err)
	}
	defer sub.Close()
	// Checked again now that the subscription is live: a revocation published between the
	// authentication of this request and Subscribe would otherwise go unnoticed until the
	// first re-check.
	valid, err := s.p.Auth.CheckCredential(ctx, id)
	if err != nil {
		var ended *auth.CredentialEndedError
		if errors.As(err, &ended) {
			return httpsec.NewError(http.StatusUnauthorized, "credential_ended", "the credential of this request has ended", "")
		}
		s.p.Logger.ErrorContext(ctx, "live stream credential not checked", "user_id", id.UserID, "err", err)
		return httpsec.NewError(http.StatusServiceUnavailable, "auth_unavailable", "authentication is unavailable, try again", "")
	}
	st, err := openStream(c.Response())
	if err != nil {
		return nil // the client is gone
	}
	return s.pump(c, st, sub, id, valid)
}

// eventFilter returns which events the stream of id may carry (nil: all): a scoped caller
// receives the events of its devices only (scopeFilter). It runs once, when the stream opens;
// a scope or role change ends the user's sessions and streams (auth publishes a revocation
// notice), so the next stream gets a new filter.
func (s *Server) eventFilter(id auth.Identity) events.Filter {
	if id.Scope.All() {
		return nil
	}
	s.places.warm()
	return scopeFilter(id.Scope, s.places.lookup)
}

// streamRefused answers a Subscribe error: 429 at a cap, 503 when the hub has no Redis.
func (s *Server) streamRefused(c *echo.Context, err error) error {
	switch {
	case errors.Is(err, events.ErrTooManyUserStreams):
		c.Response().Header().Set("Retry-After", strconv.Itoa(sseRetryAfter))
		return httpsec.NewError(http.StatusTooManyRequests, "too_many_streams",
			"this user has the most live streams one API process allows (WARDOPS_SSE_MAX_PER_USER); close one or retry later", "")
	case errors.Is(err, events.ErrTooManyStreams):
		c.Response().Header().Set("Retry-After", strconv.Itoa(sseRetryAfter))
		return httpsec.NewError(http.StatusTooManyRequests, "too_many_streams",
			"this API process serves the most live streams it allows (WARDOPS_SSE_MAX_STREAMS); retry later", "")
	case errors.Is(err, events.ErrUnavailable), errors.Is(err, events.ErrClosed):
		c.Response().Header().Set("Retry-After", "5")
		return httpsec.NewError(http.StatusServiceUnavailable, "events_unavailable", "live events are unavailable, retry shortly", "")
	}
	return fmt.Errorf("subscribe to live events: %w", err)
}

// pump forwards the subscriber's events until the stream must end, then says why.
func (s *Server) pump(c *echo.Context, st *stream, sub *events.Subscriber, id auth.Identity, valid time.Duration) error {
	ctx := c.Request().Context()
	life := time.NewTimer(jittered(s.p.Streams.MaxLife))
	defer life.Stop()
	check := time.NewTimer(min(s.p.Streams.Recheck, valid))
	defer check.Stop()
	beat := time.NewTicker(sseHeartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return st.end(sub, events.ReasonShutdown)
		case <-sub.Done():
			return st.end(sub, sub.Reason())
		case <-life.C:
			return st.end(sub, events.ReasonMaxLife)
		case <-check.C:
			next, reason := s.recheck(c, id)
			if reason != "" {
				return st.end(sub, reason)
			}
			check.Reset(min(s.p.Streams.Recheck, next))
		case <-beat.C:
			err = st.write(": heartbeat\n\n")
		case m := <-sub.C():
			err = st.write("data: " + string(m.Payload) + "\n\n")
		}
		if err != nil {
			return nil // the client is gone or stopped reading
		}
	}
}

// recheck re-checks the stream's credential: how long it stands, or the reason to end.
// A check that cannot be made (PostgreSQL or Redis down) ends the stream: fail closed.
func (s *Server) recheck(c *echo.Context, id auth.Identity) (time.Duration, string) {
	valid, err := s.p.Auth.CheckCredential(c.Request().Context(), id)
	var ended *auth.CredentialEndedError
	switch {
	case c.Request().Context().Err() != nil: // the client left during the check
		return 0, events.ReasonClosed
	case errors.As(err, &ended):
		return 0, ended.Reason
	case err != nil:
		s.p.Logger.WarnContext(c.Request().Context(), "live stream credential not re-checked; ending the stream", "user_id", id.UserID, "err", err)
		return 0, events.ReasonUnavailable
	}
	return valid, ""
}

// jittered shortens d by up to a tenth at random.
func jittered(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d - rand.N(d/10)
}

// stream writes server-sent events to one client, each write bounded by sseWriteTimeout.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// openStream sends the event-stream headers and the opening comment.
func openStream(w http.ResponseWriter) (*stream, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w)}
	return st, st.write("retry: 2000\n: connected\n\n")
}

func (st *stream) write(text string) error {
	// the server's write timeout is for whole answers; a stream bounds each write instead
	_ = st.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := fmt.Fprint(st.w, text); err != nil {
		return err
	}
	return st.rc.Flush()
}

// end ends the subscriber with reason and tells the client in a final "end" event.
func (st *stream) end(sub *events.Subscriber, reason string) error {
	sub.End(reason) // a no-op when the hub ended it
	_ = st.write(fmt.Sprintf("event: end\ndata: {\"reason\":%q}\n\n", reason))
	return nil
}

// CloseStreams ends every live-event stream (reason shutdown), so that a graceful shutdown is
// not held open by browsers; they reconnect to another replica or to this one when it is
// back. A hub that New made itself is closed too.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() {
		close(s.closing)
		if s.ownHub {
			_ = s.hub.Close()
		}
	})
}
