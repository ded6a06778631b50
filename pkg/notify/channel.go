package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/alert"
)

// Type is a channel type.
type Type string

// Channel types.
const (
	TypeWebhook  Type = "webhook"
	TypeEmail    Type = "email"
	TypeSlack    Type = "slack"
	TypeTelegram Type = "telegram"
)

// DefaultTelegramAPI is the Telegram Bot API base URL (Config.APIBase overrides it).
const DefaultTelegramAPI = "https://api.telegram.org"

// DefaultTimeout bounds one send when Config.TimeoutMS is 0.
const DefaultTimeout = 10 * time.Second

// Config holds a channel's public settings; which apply depends on the type.
type Config struct {
	// URL is the webhook's endpoint. Written whole; stored and shown as its public part
	// (scheme://host[:port]/path), its user info and query sealed in Secrets.Webhook.
	URL string `json:"url,omitempty"`
	// Headers are extra HTTP headers of a webhook. Written only: their values are sealed in
	// Secrets.Webhook, never stored here nor returned (secrets_set names them).
	Headers map[string]string `json:"headers,omitempty"`
	// Host and Port of the SMTP server (port default 587 with STARTTLS, else 25).
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// Username for SMTP AUTH PLAIN (with the password secret); empty: no auth.
	Username string   `json:"username,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	// StartTLS requires STARTTLS before anything is sent.
	StartTLS bool `json:"starttls,omitempty"`
	// TLSSkipVerify accepts any server certificate (internal relays with self-signed certs).
	TLSSkipVerify bool `json:"tls_skip_verify,omitempty"`
	// APIBase is the Telegram Bot API base URL (default DefaultTelegramAPI).
	APIBase string `json:"api_base,omitempty"`
	ChatID  string `json:"chat_id,omitempty"`
	// TimeoutMS bounds one send (default 10000, at most 50000).
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// Timeout is the configured send timeout.
func (c Config) Timeout() time.Duration {
	if c.TimeoutMS <= 0 {
		return DefaultTimeout
	}
	return time.Duration(c.TimeoutMS) * time.Millisecond
}

// Secrets are a channel's write-only settings: sealed at rest, never returned by the API.
type Secrets struct {
	// HMACSecret signs webhook bodies (X-WardOps-Signature); empty: unsigned.
	HMACSecret string `json:"hmac_secret,omitempty"`
	// Password for SMTP AUTH.
	Password string `json:"password,omitempty"`
	// WebhookURL is a Slack incoming-webhook URL (it embeds its token).
	WebhookURL string `json:"webhook_url,omitempty"`
	// BotToken is a Telegram bot token.
	BotToken string `json:"bot_token,omitempty"`
	// Webhook holds the secret parts of a webhook's URL and headers. Clients write them in
	// config.url and config.headers; the service moves them here, so they are never input here.
	Webhook WebhookSecrets `json:"-"`
}

// sealedDoc is the JSON that is sealed: the secrets including the webhook parts.
type sealedDoc struct {
	Secrets
	Webhook *WebhookSecrets `json:"webhook,omitempty"`
}

func (s Secrets) isZero() bool {
	return s.HMACSecret == "" && s.Password == "" && s.WebhookURL == "" && s.BotToken == "" && s.Webhook.isZero()
}

// names lists the set secrets.
func (s Secrets) names() []string {
	out := s.Webhook.names()
	for name, v := range map[string]string{"hmac_secret": s.HMACSecret, "password": s.Password,
		"webhook_url": s.WebhookURL, "bot_token": s.BotToken} {
		if v != "" {
			out = append(out, name)
		}
	}
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

// merge keeps the current value of every secret left empty in s.
func (s Secrets) merge(cur Secrets) Secrets {
	keep := func(v, old string) string {
		if v == "" {
			return old
		}
		return v
	}
	return Secrets{HMACSecret: keep(s.HMACSecret, cur.HMACSecret), Password: keep(s.Password, cur.Password),
		WebhookURL: keep(s.WebhookURL, cur.WebhookURL), BotToken: keep(s.BotToken, cur.BotToken), Webhook: cur.Webhook}
}

// Channel is a notification channel. Sealed holds its sealed Secrets and never leaves the server.
type Channel struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Type   Type   `json:"type"`
	Config Config `json:"config"`
	// SecretNames lists the write-only settings that are set.
	SecretNames []string `json:"secrets_set"`
	// Severities subscribed to (empty: all).
	Severities []alert.Severity `json:"severities"`
	// Scope of devices subscribed to (empty: all; only channels scoped to all get system alerts).
	Scope     alert.Scope `json:"scope"`
	Enabled   bool        `json:"enabled"`
	Sealed    string      `json:"-"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// ChannelInput is a channel as the API writes it: nil fields keep the current value (defaults
// on create: enabled, every severity, every device). Secrets left empty keep their current value.
//
// A webhook's config.url and config.headers are written whole, but only the public URL
// (scheme://host[:port]/path) is stored and shown: its user info, its query and every header
// value are sealed (secrets_set names them: url_credentials, url_query, header:<Name>). A URL
// without user info or query, or a header with an empty value, keeps the stored one, unless the
// destination (scheme, host, port) changes: then the old destination's URL and header secrets
// are dropped, so that they are never sent to a new host that was not given them.
type ChannelInput struct {
	Name       *string           `json:"name"`
	Type       *Type             `json:"type"`
	Config     *Config           `json:"config"`
	Secrets    *Secrets          `json:"secrets"`
	Severities *[]alert.Severity `json:"severities"`
	Scope      *alert.Scope      `json:"scope"`
	Enabled    *bool             `json:"enabled"`
	// ClearSecrets removes stored secrets by their secrets_set names (before the new values
	// of this input apply): e.g. ["header:X-Api-Key", "url_query"].
	ClearSecrets []string `json:"clear_secrets"`
}

func invalid(field, msg string) error { return &alert.FieldError{Field: field, Message: msg} }

// apply writes the set fields onto c and its secrets, and validates the result.
func (in ChannelInput) apply(c Channel, cur Secrets) (Channel, Secrets, error) {
	sec := cur
	if _, err := normaliseWebhook(&c, &sec); err != nil { // a row not yet sealed
		return c, sec, err
	}
	oldURL := c.Config.URL
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
	}
	if in.Type != nil {
		c.Type = *in.Type
	}
	if in.Config != nil {
		c.Config = *in.Config
	}
	if in.Severities != nil {
		c.Severities = *in.Severities
	}
	if in.Scope != nil {
		c.Scope = *in.Scope
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
	if err := sec.clearSecrets(in.ClearSecrets); err != nil {
		return c, sec, err
	}
	if in.Secrets != nil {
		sec = in.Secrets.merge(sec)
	}
	if c.Severities == nil {
		c.Severities = []alert.Severity{}
	}
	if err := applyWebhook(&c, &sec, oldURL); err != nil {
		return c, sec, err
	}
	c.SecretNames = sec.names()
	return c, sec, validate(&c, sec)
}

// applyWebhook splits a webhook's URL and headers into public config and sealed parts; the
// stored parts are dropped when the destination moves to another origin. Other types keep no
// webhook parts.
func applyWebhook(c *Channel, sec *Secrets, oldURL string) error {
	if c.Type != TypeWebhook {
		sec.Webhook = WebhookSecrets{}
		c.Config.Headers = nil
		return nil
	}
	if oldURL != "" && origin(oldURL) != origin(c.Config.URL) {
		sec.Webhook = WebhookSecrets{}
	}
	return extractWebhookSecrets(&c.Config, &sec.Webhook)
}

func validate(c *Channel, sec Secrets) error {
	if c.Name == "" || len(c.Name) > 200 {
		return invalid("name", "must be 1 to 200 characters")
	}
	if err := alert.ValidateSeverities("severities", c.Severities); err != nil {
		return err
	}
	if err := alert.ValidateScope("scope", c.Scope); err != nil {
		return err
	}
	if c.Config.TimeoutMS < 0 || c.Config.TimeoutMS > 50000 {
		// a send must end within the notify task's timeout (alert.NotifyTimeout)
		return invalid("config.timeout_ms", "must be between 0 (default 10 s) and 50000")
	}
	switch c.Type {
	case TypeWebhook:
		return validateHTTPURL("config.url", c.Config.URL)
	case TypeSlack:
		if sec.WebhookURL == "" {
			return invalid("secrets.webhook_url", "is required for a Slack channel")
		}
		return validateHTTPURL("secrets.webhook_url", sec.WebhookURL)
	case TypeTelegram:
		return validateTelegram(c, sec)
	case TypeEmail:
		return validateEmail(c)
	}
	return invalid("type", "must be webhook, email, slack or telegram")
}

func validateHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "must be an http(s) URL")
	}
	return nil
}

func validateTelegram(c *Channel, sec Secrets) error {
	if sec.BotToken == "" {
		return invalid("secrets.bot_token", "is required for a Telegram channel")
	}
	if strings.TrimSpace(c.Config.ChatID) == "" {
		return invalid("config.chat_id", "is required for a Telegram channel")
	}
	if c.Config.APIBase != "" {
		return validateHTTPURL("config.api_base", c.Config.APIBase)
	}
	return nil
}

func validateEmail(c *Channel) error {
	cfg := c.Config
	if strings.TrimSpace(cfg.Host) == "" {
		return invalid("config.host", "is required for an email channel")
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return invalid("config.port", "must be between 1 and 65535 (0: 587 with STARTTLS, else 25)")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return invalid("config.from", "must be an email address")
	}
	if len(cfg.To) == 0 {
		return invalid("config.to", "must list at least one address")
	}
	for _, to := range cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return invalid("config.to", fmt.Sprintf("%q is not an email address", to))
		}
	}
	return nil
}

// Sentinel errors of the delivery store.
var (
	// ErrDelivered: the delivery was already sent; it is never sent again.
	ErrDelivered = errors.New("already delivered")
	// ErrBusy: another worker holds the delivery's lease right now.
	ErrBusy = errors.New("delivery in progress elsewhere")
)

// Delivery is one (alert event, channel) delivery and its log.
type Delivery struct {
	ID          int64         `json:"id"`
	Key         string        `json:"delivery_key"`
	AlertID     int64         `json:"alert_id,omitempty"`
	EventID     int64         `json:"event_id,omitempty"`
	ChannelID   int64         `json:"channel_id"`
	ChannelName string        `json:"channel_name"`
	Message     alert.Message `json:"message"`
	// State is pending, sending, delivered or failed.
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliverySending   = "sending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)
