package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/alert"
)

// ChannelStore keeps channels; *store.Store implements it. Get returns the sealed secrets too;
// a missing channel is an error wrapping ErrNoChannel (and store.ErrNotFound).
type ChannelStore interface {
	NewChannelID(ctx context.Context) (int64, error)
	CreateChannel(ctx context.Context, c Channel) (Channel, error)
	UpdateChannel(ctx context.Context, c Channel) (Channel, error)
	GetChannel(ctx context.Context, id int64) (Channel, error)
	ListChannels(ctx context.Context) ([]Channel, error)
	DeleteChannel(ctx context.Context, id int64) error
}

// ServiceParams configures NewService.
type ServiceParams struct {
	Channels   ChannelStore
	Deliveries DeliveryStore
	// Sealer seals secrets (nil: channels with secrets cannot be written or used).
	Sealer Sealer
	// Policy decides where channels may send (nil: the default policy, which denies loopback
	// and link-local destinations): writes naming a denied address are refused, and it builds
	// the default Senders.
	Policy  *DestinationPolicy
	Senders Senders
	Logger  *slog.Logger
	Now     func() time.Time
}

// Service is what the API calls for channels: CRUD with validation and write-only secrets, and
// "send test".
type Service struct{ p ServiceParams }

// NewService returns a Service (Senders default to DefaultSenders(p.Policy)).
func NewService(p ServiceParams) *Service {
	if p.Senders == nil {
		p.Senders = DefaultSenders(p.Policy)
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Service{p: p}
}

func (s *Service) seal(id int64, sec Secrets) (string, error) {
	return sealSecrets(s.p.Sealer, id, sec)
}

// destination is where a channel sends, as its write-time check sees it: the field that names
// it, and the URL (or SMTP host and port).
func destination(c *Channel, sec Secrets) (field, target string, port int) {
	switch c.Type {
	case TypeWebhook:
		return "config.url", c.Config.URL, 0
	case TypeSlack:
		return "secrets.webhook_url", sec.WebhookURL, 0
	case TypeTelegram:
		return "config.api_base", c.Config.APIBase, 0
	case TypeEmail:
		return "config.host", c.Config.Host, smtpPort(c.Config)
	}
	return "", "", 0
}

// checkDestination refuses, at write time and without sending anything, a destination the
// policy denies by its address alone (the dialer checks resolved names at send time). An
// update that keeps the destination it had is not refused for it (so that a channel stored
// before the policy can still be renamed or disabled; it cannot send).
func (s *Service) checkDestination(c *Channel, sec Secrets, old *Channel, oldSec Secrets) error {
	field, target, port := destination(c, sec)
	if target == "" {
		return nil
	}
	if old != nil {
		o, osec := *old, oldSec
		_, _ = normaliseWebhook(&o, &osec) // compare public URLs
		if f, t, p := destination(&o, osec); f == field && t == target && p == port {
			return nil
		}
	}
	var err error
	if c.Type == TypeEmail {
		err = s.p.Policy.CheckHost(target, port)
	} else {
		err = s.p.Policy.CheckURL(target)
	}
	if err != nil {
		return invalid(field, err.Error())
	}
	return nil
}

// Create validates and stores a channel. The returned channel never holds secrets.
func (s *Service) Create(ctx context.Context, in ChannelInput) (Channel, error) {
	if in.Type == nil {
		return Channel{}, invalid("type", "is required")
	}
	c, sec, err := in.apply(Channel{Enabled: true}, Secrets{})
	if err != nil {
		return Channel{}, err
	}
	if err := s.checkDestination(&c, sec, nil, Secrets{}); err != nil {
		return Channel{}, err
	}
	if c.ID, err = s.p.Channels.NewChannelID(ctx); err != nil {
		return Channel{}, err
	}
	if c.Sealed, err = s.seal(c.ID, sec); err != nil {
		return Channel{}, err
	}
	out, err := s.p.Channels.CreateChannel(ctx, c)
	return scrub(out), err
}

// Update applies in to channel id (nil fields and empty secrets keep their value).
func (s *Service) Update(ctx context.Context, id int64, in ChannelInput) (Channel, error) {
	cur, err := s.p.Channels.GetChannel(ctx, id)
	if err != nil {
		return Channel{}, err
	}
	curSec, err := openSecrets(s.p.Sealer, &cur)
	if err != nil {
		return Channel{}, err
	}
	c, sec, err := in.apply(cur, curSec)
	if err != nil {
		return Channel{}, err
	}
	if err := s.checkDestination(&c, sec, &cur, curSec); err != nil {
		return Channel{}, err
	}
	if c.Sealed, err = s.seal(id, sec); err != nil {
		return Channel{}, err
	}
	out, err := s.p.Channels.UpdateChannel(ctx, c)
	return scrub(out), err
}

// Get reads one channel (without secrets).
func (s *Service) Get(ctx context.Context, id int64) (Channel, error) {
	c, err := s.p.Channels.GetChannel(ctx, id)
	return scrub(c), err
}

// List returns every channel (without secrets).
func (s *Service) List(ctx context.Context) ([]Channel, error) {
	cs, err := s.p.Channels.ListChannels(ctx)
	for i := range cs {
		cs[i] = scrub(cs[i])
	}
	return cs, err
}

// Secrets opens the stored secrets of channel id, for a caller that must compare them with
// the ones it is about to write (the configuration file's apply). They must never be
// returned to a client nor logged.
func (s *Service) Secrets(ctx context.Context, id int64) (Secrets, error) {
	c, err := s.p.Channels.GetChannel(ctx, id)
	if err != nil {
		return Secrets{}, err
	}
	return openSecrets(s.p.Sealer, &c)
}

// Delete removes a channel.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.p.Channels.DeleteChannel(ctx, id)
}

// scrub makes a channel fit to be shown: no sealed secrets, and none of the clear secrets a
// webhook row written before they were sealed may still hold (until SealClearSecrets runs).
func scrub(c Channel) Channel {
	c.Sealed = ""
	var legacy Secrets
	if moved, err := normaliseWebhook(&c, &legacy); moved && err == nil {
		c.SecretNames = append(c.SecretNames, legacy.Webhook.names()...)
		slices.Sort(c.SecretNames)
		c.SecretNames = slices.Compact(c.SecretNames)
	} else if err != nil {
		c.Config.URL, c.Config.Headers = "", nil // unparsable: show nothing of it
	}
	if c.SecretNames == nil {
		c.SecretNames = []string{}
	}
	return c
}

// SendTest sends a test message to channel id now, logs it as a delivery, and returns the
// logged delivery; a failed send is reported in the delivery (State failed, LastError), not as
// an error.
func (s *Service) SendTest(ctx context.Context, id int64) (Delivery, error) {
	ch, err := s.p.Channels.GetChannel(ctx, id)
	if err != nil {
		return Delivery{}, err
	}
	now := s.p.Now().UTC()
	key := "test-c" + strconv.FormatInt(id, 10) + "-" + strconv.FormatInt(now.UnixNano(), 10)
	msg := alert.Message{Event: alert.NotifyTest, Rule: "Test notification", Severity: alert.SeverityWarning,
		Summary: "WardOps test notification to channel " + ch.Name, StartedAt: now, At: now, DeliveryKey: key}
	d := Delivery{Key: key, ChannelID: id, ChannelName: ch.Name, Message: msg, State: DeliveryDelivered,
		Attempts: 1, CreatedAt: now, UpdatedAt: now}
	sendErr := s.sendNow(ctx, &ch, &msg)
	if sendErr != nil {
		d.State, d.LastError = DeliveryFailed, sendErr.Error()
	} else {
		d.DeliveredAt = &now
	}
	if err := s.p.Deliveries.RecordTestDelivery(ctx, d); err != nil {
		s.p.Logger.Warn("record test delivery", "channel", id, "err", err)
	}
	return d, nil
}

func (s *Service) sendNow(ctx context.Context, ch *Channel, msg *alert.Message) error {
	sender, ok := s.p.Senders[ch.Type]
	if !ok {
		return fmt.Errorf("no sender for channel type %q", ch.Type)
	}
	sec, err := openSecrets(s.p.Sealer, ch)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, ch.Config.Timeout())
	defer cancel()
	return sender.Send(sctx, ch, sec, msg)
}
