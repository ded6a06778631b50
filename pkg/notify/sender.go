package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wardops/wardops/pkg/alert"
)

// Sender sends one message over one channel type. ctx carries the send deadline.
type Sender interface {
	Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error
}

// Senders maps each channel type to its sender.
type Senders map[Type]Sender

// DefaultSenders returns the four senders; client carries HTTP (nil: a plain client, each send
// bounded by its channel's timeout through ctx).
func DefaultSenders(client *http.Client) Senders {
	if client == nil {
		client = &http.Client{}
	}
	return Senders{
		TypeWebhook:  &WebhookSender{Client: client},
		TypeSlack:    &SlackSender{Client: client},
		TypeTelegram: &TelegramSender{Client: client},
		TypeEmail:    &EmailSender{},
	}
}

// PermanentError is a failure that retrying cannot fix (a 4xx answer, a 5xx SMTP reply): the
// delivery fails at once instead of being retried.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a PermanentError.
func IsPermanent(err error) bool {
	var pe *PermanentError
	return errors.As(err, &pe)
}

// Header names of webhook requests.
const (
	// HeaderSignature is "sha256=" + hex HMAC-SHA256 of the body with the channel's hmac_secret.
	HeaderSignature = "X-WardOps-Signature"
	// HeaderDelivery is the delivery key: receivers may dedupe on it.
	HeaderDelivery = "X-WardOps-Delivery"
	// HeaderEvent is the message event (firing, resolved, repeat, test).
	HeaderEvent = "X-WardOps-Event"
)

// Sign returns the X-WardOps-Signature value of body: "sha256=" + hex(HMAC-SHA256(secret, body)).
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookSender posts the message as JSON, signed when the channel has an hmac_secret.
type WebhookSender struct{ Client *http.Client }

// Send implements Sender.
func (w *WebhookSender) Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return &PermanentError{fmt.Errorf("encode message: %w", err)}
	}
	h := http.Header{}
	for k, v := range ch.Config.Headers {
		h.Set(k, v)
	}
	h.Set(HeaderDelivery, msg.DeliveryKey)
	h.Set(HeaderEvent, msg.Event)
	if sec.HMACSecret != "" {
		h.Set(HeaderSignature, Sign([]byte(sec.HMACSecret), body))
	}
	return postJSON(ctx, w.Client, ch.Config.URL, h, body, "")
}

// SlackSender posts {"text": …} to a Slack-compatible incoming webhook.
type SlackSender struct{ Client *http.Client }

// Send implements Sender.
func (s *SlackSender) Send(ctx context.Context, _ *Channel, sec Secrets, msg *alert.Message) error {
	body, err := json.Marshal(map[string]string{"text": msg.Text()})
	if err != nil {
		return &PermanentError{fmt.Errorf("encode message: %w", err)}
	}
	return postJSON(ctx, s.Client, sec.WebhookURL, nil, body, sec.WebhookURL)
}

// postJSON POSTs body and accepts any 2xx. secretURL, when set, is redacted from errors (the
// URL itself is the credential).
func postJSON(ctx context.Context, c *http.Client, target string, h http.Header, body []byte, secretURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("build request: %w", redact(err, secretURL))}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WardOps-Notify/1")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", redact(err, secretURL))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return &PermanentError{err}
	}
	return err
}

// redact replaces a secret URL (or a secret token inside it) in an error with a placeholder.
func redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s [redacted url]: %w", ue.Op, redactErr{ue.Err, secret})
	}
	return redactErr{err, secret}
}

type redactErr struct {
	err    error
	secret string
}

func (r redactErr) Error() string { return strings.ReplaceAll(r.err.Error(), r.secret, "[redacted]") }
func (r redactErr) Unwrap() error { return r.err }
