package config

import (
	"fmt"
	"time"
)

// Live-stream (SSE) defaults of the API.
const (
	// DefaultSSEMaxLife ends a live-event stream an hour after it opened. The browser's
	// EventSource reconnects by itself within 2 s, re-authenticating, and the dashboard reloads
	// its (cached) fleet list: about one cheap request per client per hour. In exchange no
	// stream lives longer than that on what was decided when it opened (role, scope filter),
	// even if every revocation notice and re-check were missed.
	DefaultSSEMaxLife = time.Hour
	// DefaultSSEMaxPerUser is the most open streams of one user on one API process: a NOC wall
	// and a few tabs, not a flood.
	DefaultSSEMaxPerUser = 10
	// DefaultSSEMaxStreams is the most open streams on one API process.
	DefaultSSEMaxStreams = 1000
)

// Streams holds the API's live-event stream limits (GET /api/v1/events).
type Streams struct {
	// MaxLife: WARDOPS_SSE_MAX_LIFE, a stream's longest life, 1m to 24h (default 1h).
	MaxLife time.Duration
	// MaxPerUser: WARDOPS_SSE_MAX_PER_USER, open streams of one user per API process; more
	// are 429 too_many_streams (default 10).
	MaxPerUser int
	// MaxStreams: WARDOPS_SSE_MAX_STREAMS, open streams per API process; more are 429
	// too_many_streams (default 1000).
	MaxStreams int
}

func loadStreams(r *reader) Streams {
	return Streams{
		MaxLife:    r.duration("WARDOPS_SSE_MAX_LIFE", DefaultSSEMaxLife, time.Minute, 24*time.Hour),
		MaxPerUser: r.integer("WARDOPS_SSE_MAX_PER_USER", DefaultSSEMaxPerUser, 1, 1000),
		MaxStreams: r.integer("WARDOPS_SSE_MAX_STREAMS", DefaultSSEMaxStreams, 1, 100_000),
	}
}

// Validate checks the relation between the stream caps.
func (s Streams) Validate() error {
	if s.MaxPerUser > s.MaxStreams {
		return &FieldError{Var: "WARDOPS_SSE_MAX_PER_USER", Value: fmt.Sprint(s.MaxPerUser),
			Reason: fmt.Sprintf("must not exceed WARDOPS_SSE_MAX_STREAMS (%d)", s.MaxStreams)}
	}
	return nil
}
