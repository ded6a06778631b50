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
	"strconv"

	"github.com/wardops/wardops/pkg/alert"
)

// Sender sends one message over one channel type. ctx carries the send deadline.
type Sender interface {
	Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error
}

// Senders maps each channel type to its sender.
type Senders map[Type]Sender

// DefaultSenders returns the four senders, every one bound by policy (nil: the default
// policy, which denies loopback and link-local destinations): HTTP through policy.HTTPClient
// (no redirects), SMTP through policy.DialContext. Each send is bounded by its channel's
// timeout through ctx.
func DefaultSenders(policy *DestinationPolicy) Senders {
	client := policy.HTTPClient()
	return Senders{
		TypeWebhook:  &WebhookSender{Client: client},
		TypeSlack:    &SlackSender{Client: client},
		TypeTelegram: &TelegramSender{Client: client},
		TypeEmail:    &EmailSender{Policy: policy},
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

// WebhookSender posts the message as JSON, signed when the channel has an hmac_secret. Its URL
// and headers are the channel's public URL with the sealed user info, query and header values
// put back. Client must come from DestinationPolicy.HTTPClient (nil: the default policy's).
type WebhookSender struct{ Client *http.Client }

// Send implements Sender.
func (w *WebhookSender) Send(ctx context.Context, ch *Channel, sec Secrets, msg *alert.Message) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return &PermanentError{fmt.Errorf("encode message: %w", err)}
	}
	target, h, err := webhookRequest(ch.Config, sec.Webhook)
	if err != nil {
		return &PermanentError{err}
	}
	h.Set(HeaderDelivery, msg.DeliveryKey)
	h.Set(HeaderEvent, msg.Event)
	if sec.HMACSecret != "" {
		h.Set(HeaderSignature, Sign([]byte(sec.HMACSecret), body))
	}
	public := *target
	public.User, public.RawQuery = nil, ""
	return postJSON(ctx, w.Client, target.String(), "post to "+public.String(), h, body)
}

// SlackSender posts {"text": …} to a Slack-compatible incoming webhook. Client as for
// WebhookSender.
type SlackSender struct{ Client *http.Client }

// Send implements Sender.
func (s *SlackSender) Send(ctx context.Context, _ *Channel, sec Secrets, msg *alert.Message) error {
	body, err := json.Marshal(map[string]string{"text": msg.Text()})
	if err != nil {
		return &PermanentError{fmt.Errorf("encode message: %w", err)}
	}
	return postJSON(ctx, s.Client, sec.WebhookURL, "post to the Slack webhook", nil, body) // its URL is the credential
}

// do sends req without following redirects and returns the answer; a failure never carries
// the URL (it may hold credentials): op names the request instead.
func do(c *http.Client, req *http.Request, op string) (*http.Response, error) {
	if c == nil {
		c = (*DestinationPolicy)(nil).HTTPClient()
	}
	cc := *c
	cc.CheckRedirect = noRedirect // whatever the client: a redirect could re-send to anywhere
	resp, err := cc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, ErrDestinationDenied) {
			return nil, &PermanentError{fmt.Errorf("%s: %w", op, err)}
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return resp, nil
}

// statusError is the failure of a non-2xx answer: exactly its status line, "HTTP 500 Internal
// Server Error", with the standard reason phrase (never the body, nor a phrase the server
// made up); a 3xx is "redirect not followed (302 Found)". A 4xx other than 408 and 429, and a
// 3xx, are permanent.
func statusError(code int) error {
	status := strconv.Itoa(code)
	if text := http.StatusText(code); text != "" {
		status += " " + text
	}
	if code/100 == 3 {
		return &PermanentError{fmt.Errorf("redirect not followed (%s)", status)}
	}
	err := errors.New("HTTP " + status)
	if code/100 == 4 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests {
		return &PermanentError{err}
	}
	return err
}

// postJSON POSTs body and accepts any 2xx. op names the request in errors (never the URL).
func postJSON(ctx context.Context, c *http.Client, target, op string, h http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{fmt.Errorf("%s: the URL is not valid", op)}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WardOps-Notify/1")
	resp, err := do(c, req, op)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused; never kept
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return statusError(resp.StatusCode)
}
