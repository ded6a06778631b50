package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/httpsec"
)

// sseHeartbeat keeps idle streams open through proxies and lets a client notice a dead API.
const sseHeartbeat = 15 * time.Second

// liveEvents streams live events (status changes, alerts) as server-sent events. Browsers'
// EventSource reconnects by itself; "retry: 2000" asks it to do so after 2 s. A scoped caller
// receives the events of its devices only (scopeFilter).
func (s *Server) liveEvents(c *echo.Context) error {
	ctx := c.Request().Context()
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	keep := scopeFilter(sc, s.places.lookup)
	sub := events.Subscribe(ctx, s.p.Redis)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // wait for the subscription to be live
		return fmt.Errorf("subscribe to live events: %w", err)
	}
	w := c.Response()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = httpsec.ClearWriteDeadline(w) // a stream outlives the server's write timeout
	if _, err := fmt.Fprint(w, "retry: 2000\n: connected\n\n"); err != nil {
		return nil
	}
	_ = rc.Flush()
	msgs := sub.Channel()
	tick := time.NewTicker(sseHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			if !keep([]byte(m.Payload)) {
				continue
			}
			if _, err := fmt.Fprintf(w, "data: %s\n\n", m.Payload); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

// CloseStreams ends every live-event stream, so that a graceful shutdown is not held open by
// browsers; they reconnect to another replica or to this one when it is back.
func (s *Server) CloseStreams() {
	s.closeOnce.Do(func() { close(s.closing) })
}
