package alert

import (
	"context"
	"log/slog"
	"time"
)

// RuleStore writes rules; *store.Store implements it.
type RuleStore interface {
	CreateAlertRule(ctx context.Context, in RuleInput) (Rule, error)
	UpdateAlertRule(ctx context.Context, id int64, in RuleInput) (Rule, error)
	DeleteAlertRule(ctx context.Context, id int64) error
}

// AckStore acknowledges and closes alerts; *store.Store implements it.
type AckStore interface {
	AckAlert(ctx context.Context, id int64, by, comment string, expires *time.Time) (Alert, error)
	UnackAlert(ctx context.Context, id int64, by string) (Alert, error)
	CloseAlert(ctx context.Context, id int64, by, comment string) (Alert, []string, error)
}

// Invalidator drops a cached value; *cache.JSON implements it.
type Invalidator interface {
	Invalidate(ctx context.Context) error
}

// ServiceParams configures NewService.
type ServiceParams struct {
	Rules     RuleStore
	Acks      AckStore
	RuleCache Invalidator
	Enqueuer  Enqueuer
	Publisher Publisher // may be nil
	Logger    *slog.Logger
}

// Service is what the API calls for the writes with side effects: rule changes invalidate the
// rule cache; ack, unack and close publish a live event, and a close enqueues the resolve of an
// alert whose firing was sent. Reads go to the store directly.
type Service struct{ p ServiceParams }

// NewService returns a Service.
func NewService(p ServiceParams) *Service {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{p: p}
}

func (s *Service) invalidate(ctx context.Context) {
	if s.p.RuleCache == nil {
		return
	}
	if err := s.p.RuleCache.Invalidate(ctx); err != nil {
		// the cache expires within its TTL anyway
		s.p.Logger.Warn("invalidate alert rule cache", "err", err)
	}
}

// CreateRule validates and stores a rule (errors: *FieldError, store.ErrConflict).
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (Rule, error) {
	r, err := s.p.Rules.CreateAlertRule(ctx, in)
	if err == nil {
		s.invalidate(ctx)
	}
	return r, err
}

// UpdateRule applies in to rule id (nil fields unchanged).
func (s *Service) UpdateRule(ctx context.Context, id int64, in RuleInput) (Rule, error) {
	r, err := s.p.Rules.UpdateAlertRule(ctx, id, in)
	if err == nil {
		s.invalidate(ctx)
	}
	return r, err
}

// DeleteRule deletes rule id; the next pass resolves its open alerts (sending their resolves).
func (s *Service) DeleteRule(ctx context.Context, id int64) error {
	err := s.p.Rules.DeleteAlertRule(ctx, id)
	if err == nil {
		s.invalidate(ctx)
	}
	return err
}

// Ack acknowledges a firing alert by who, until expires (nil: until it resolves).
func (s *Service) Ack(ctx context.Context, id int64, who, comment string, expires *time.Time) (Alert, error) {
	a, err := s.p.Acks.AckAlert(ctx, id, who, comment, expires)
	if err == nil {
		s.publish(ctx, EventAcknowledged, a)
	}
	return a, err
}

// Unack takes an acknowledgement back.
func (s *Service) Unack(ctx context.Context, id int64, who string) (Alert, error) {
	a, err := s.p.Acks.UnackAlert(ctx, id, who)
	if err == nil {
		s.publish(ctx, EventUnacknowledged, a)
	}
	return a, err
}

// Close resolves an open alert by hand with a comment; its resolve is sent to the channels its
// firing went to.
func (s *Service) Close(ctx context.Context, id int64, who, comment string) (Alert, error) {
	a, keys, err := s.p.Acks.CloseAlert(ctx, id, who, comment)
	if err != nil {
		return a, err
	}
	for _, k := range keys {
		if err := EnqueueDelivery(ctx, s.p.Enqueuer, k); err != nil {
			// the delivery row is committed: a later evaluation pass enqueues it again
			s.p.Logger.Warn("enqueue resolve of closed alert", "alert", id, "delivery", k, "err", err)
		}
	}
	s.publish(ctx, EventClosed, a)
	return a, nil
}

func (s *Service) publish(ctx context.Context, kind string, a Alert) {
	if s.p.Publisher == nil {
		return
	}
	if err := s.p.Publisher.Publish(ctx, "alert", LiveEvent{Event: kind, Alert: a}); err != nil {
		s.p.Logger.Warn("publish alert event", "alert", a.ID, "err", err)
	}
}
