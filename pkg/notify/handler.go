package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/tasks"
)

// Sentinel errors the stores wrap so that this package can tell "gone" from "failed".
var (
	// ErrNoDelivery: no delivery has this key.
	ErrNoDelivery = errors.New("no such delivery")
	// ErrNoChannel: the channel does not exist (deleted since the delivery was written).
	ErrNoChannel = errors.New("no such channel")
)

// DeliveryStore is the delivery log the handler claims, completes and fails deliveries in;
// *store.Store implements it.
type DeliveryStore interface {
	GetChannel(ctx context.Context, id int64) (Channel, error)
	ClaimDelivery(ctx context.Context, key string, lease time.Duration) (Delivery, error)
	CompleteDelivery(ctx context.Context, key string) error
	FailDelivery(ctx context.Context, key, reason string, final bool) error
	RecordTestDelivery(ctx context.Context, d Delivery) error
}

// Sealer seals and opens channel secrets; *secrets.Box implements it.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// secretsAAD binds sealed secrets to their channel: copied to another row they do not open.
func secretsAAD(id int64) []byte {
	return []byte("wardops:channel:" + strconv.FormatInt(id, 10) + ":secrets")
}

// openSecrets decrypts a channel's secrets ("" sealed: none).
func openSecrets(s Sealer, ch *Channel) (Secrets, error) {
	var sec Secrets
	if ch.Sealed == "" {
		return sec, nil
	}
	if s == nil {
		return sec, errors.New("channel secrets are sealed but no secret key is configured (WARDOPS_SECRET_KEY)")
	}
	raw, err := s.Open(ch.Sealed, secretsAAD(ch.ID))
	if err != nil {
		return sec, fmt.Errorf("open secrets of channel %d: %w", ch.ID, err)
	}
	var doc sealedDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return sec, fmt.Errorf("decode secrets of channel %d: %w", ch.ID, err)
	}
	sec = doc.Secrets
	if doc.Webhook != nil {
		sec.Webhook = *doc.Webhook
	}
	return sec, nil
}

// sealSecrets seals sec for channel id ("" when there is none to seal).
func sealSecrets(s Sealer, id int64, sec Secrets) (string, error) {
	if sec.isZero() {
		return "", nil
	}
	if s == nil {
		return "", invalid("secrets", "cannot be stored: the server has no WARDOPS_SECRET_KEY")
	}
	doc := sealedDoc{Secrets: sec}
	if !sec.Webhook.isZero() {
		doc.Webhook = &sec.Webhook
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode secrets: %w", err)
	}
	sealed, err := s.Seal(raw, secretsAAD(id))
	if err != nil {
		return "", fmt.Errorf("seal secrets of channel %d: %w", id, err)
	}
	return sealed, nil
}

// HandlerParams configures NewHandler.
type HandlerParams struct {
	Store  DeliveryStore
	Sealer Sealer
	// Policy decides where deliveries may go (nil: the default policy, which denies loopback
	// and link-local destinations); it builds the default Senders.
	Policy  *DestinationPolicy
	Senders Senders
	Logger  *slog.Logger
}

// Handler is the asynq handler of tasks.TypeNotify: it sends one delivery exactly once.
type Handler struct{ p HandlerParams }

// NewHandler returns a Handler (Senders default to DefaultSenders(p.Policy)).
func NewHandler(p HandlerParams) *Handler {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Senders == nil {
		p.Senders = DefaultSenders(p.Policy)
	}
	return &Handler{p: p}
}

// ProcessTask implements asynq.Handler. The delivery is claimed by key (a delivered key is
// acknowledged without sending), sent, and its outcome logged; a failure is retried with
// backoff unless it is permanent or the last attempt.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p alert.DeliveryPayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil || p.DeliveryKey == "" {
		return fmt.Errorf("notify task without a delivery key: %v: %w", err, asynq.SkipRetry)
	}
	log := h.p.Logger.With("task", t.Type(), "delivery", p.DeliveryKey)
	d, err := h.p.Store.ClaimDelivery(ctx, p.DeliveryKey, alert.NotifyTimeout)
	switch {
	case errors.Is(err, ErrDelivered):
		log.Info("delivery already sent; not sending again")
		return nil
	case errors.Is(err, ErrNoDelivery):
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	case err != nil:
		return err // busy elsewhere, or the database: retry later
	}
	log = log.With("channel", d.ChannelID, "alert", d.AlertID, "attempt", d.Attempts)
	sendErr := h.send(ctx, &d)
	if sendErr == nil {
		return h.complete(ctx, log, d.Key)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	final := IsPermanent(sendErr) || errors.Is(sendErr, ErrNoChannel) || (ok && retried >= maxRetry)
	if err := h.p.Store.FailDelivery(context.WithoutCancel(ctx), d.Key, sendErr.Error(), final); err != nil {
		log.Error("record delivery failure", "err", err)
	}
	log.Warn("delivery failed", "err", sendErr, "final", final)
	if final {
		return fmt.Errorf("%w: %w", sendErr, asynq.SkipRetry)
	}
	return sendErr
}

// send delivers d to its channel within the channel's timeout.
func (h *Handler) send(ctx context.Context, d *Delivery) error {
	ch, err := h.p.Store.GetChannel(ctx, d.ChannelID)
	if err != nil {
		return err
	}
	sender, ok := h.p.Senders[ch.Type]
	if !ok {
		return &PermanentError{fmt.Errorf("no sender for channel type %q", ch.Type)}
	}
	sec, err := openSecrets(h.p.Sealer, &ch)
	if err != nil {
		return err
	}
	msg := d.Message
	msg.DeliveryKey = d.Key
	sctx, cancel := context.WithTimeout(ctx, ch.Config.Timeout())
	defer cancel()
	return sender.Send(sctx, &ch, sec, &msg)
}

// complete records the send, insisting a little: a send that is not recorded may be repeated.
func (h *Handler) complete(ctx context.Context, log *slog.Logger, key string) error {
	var err error
	for i := 0; i < 3; i++ {
		if err = h.p.Store.CompleteDelivery(context.WithoutCancel(ctx), key); err == nil {
			log.Info("delivered")
			return nil
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	log.Error("delivered but not recorded; a retry may send it again", "err", err)
	return err
}

// RetryDelayFunc returns the asynq retry delay for the worker's server: for notify tasks
// exponential backoff from base (base, 2·base, 4·base … capped at max, with ±25 % jitter); for
// every other task type, fallback.
func RetryDelayFunc(base, max time.Duration, fallback asynq.RetryDelayFunc) asynq.RetryDelayFunc {
	return func(n int, err error, t *asynq.Task) time.Duration {
		if t.Type() != tasks.TypeNotify {
			return fallback(n, err, t)
		}
		d := base
		for i := 0; i < n && d < max; i++ {
			d *= 2
		}
		d = min(d, max)
		return d - d/4 + time.Duration(rand.Int64N(int64(d/2)+1))
	}
}
