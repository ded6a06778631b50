package notify

import (
	"errors"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Names of a webhook's secret parts in secrets_set and clear_secrets; a header's is
// HeaderSecretPrefix + its canonical name ("header:Authorization").
const (
	SecretURLCredentials = "url_credentials"
	SecretURLQuery       = "url_query"
	HeaderSecretPrefix   = "header:"
)

// WebhookSecrets are the secret parts of a webhook's destination, split off Config.URL and
// Config.Headers when a channel is written and sealed with its other secrets: the URL's user
// info, its query, and every extra header's value. The sender puts them back at send time.
type WebhookSecrets struct {
	// Userinfo is the URL's "user:password", URL-escaped.
	Userinfo string `json:"userinfo,omitempty"`
	// Query is the URL's raw query (tokens such as ?token=… live here).
	Query string `json:"query,omitempty"`
	// Headers maps canonical header names to their values.
	Headers map[string]string `json:"headers,omitempty"`
}

func (w WebhookSecrets) isZero() bool {
	return w.Userinfo == "" && w.Query == "" && len(w.Headers) == 0
}

func (w WebhookSecrets) names() []string {
	var out []string
	if w.Userinfo != "" {
		out = append(out, SecretURLCredentials)
	}
	if w.Query != "" {
		out = append(out, SecretURLQuery)
	}
	for k := range w.Headers {
		out = append(out, HeaderSecretPrefix+k)
	}
	return out
}

// splitURL returns the public part of a webhook URL (scheme://host[:port]/path) and its secret
// parts. A fragment is dropped: it is never sent.
func splitURL(raw string) (public string, userinfo, query string, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", "", "", errors.New("must be an http(s) URL")
	}
	if u.User != nil {
		userinfo = u.User.String()
	}
	query = u.RawQuery
	pub := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return pub.String(), userinfo, query, nil
}

// origin is scheme://host:port of a URL ("" when it does not parse).
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// extractWebhookSecrets moves the secret parts of c's URL and headers into w: what c carries
// replaces what w holds, an empty header value keeps the stored one. c.Config keeps only the
// public URL and no headers.
func extractWebhookSecrets(cfg *Config, w *WebhookSecrets) error {
	pub, ui, q, err := splitURL(cfg.URL)
	if err != nil {
		return invalid("config.url", err.Error())
	}
	if ui != "" {
		w.Userinfo = ui
	}
	if q != "" {
		w.Query = q
	}
	for k, v := range cfg.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return invalid("config.headers", "header names must be HTTP tokens")
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			return invalid("config.headers", "header "+textproto.CanonicalMIMEHeaderKey(k)+" has a character not allowed in a header value")
		}
		if v == "" {
			continue // keep the stored value (clear_secrets removes one)
		}
		if w.Headers == nil {
			w.Headers = map[string]string{}
		}
		w.Headers[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	cfg.URL, cfg.Headers = pub, nil
	return nil
}

// clearSecrets removes the named secrets (names as in secrets_set).
func (s *Secrets) clearSecrets(names []string) error {
	for _, n := range names {
		switch {
		case n == "hmac_secret":
			s.HMACSecret = ""
		case n == "password":
			s.Password = ""
		case n == "webhook_url":
			s.WebhookURL = ""
		case n == "bot_token":
			s.BotToken = ""
		case n == SecretURLCredentials:
			s.Webhook.Userinfo = ""
		case n == SecretURLQuery:
			s.Webhook.Query = ""
		case strings.HasPrefix(n, HeaderSecretPrefix) && len(n) > len(HeaderSecretPrefix):
			name := textproto.CanonicalMIMEHeaderKey(n[len(HeaderSecretPrefix):])
			if s.Webhook.Headers != nil {
				s.Webhook.Headers = maps.Clone(s.Webhook.Headers)
				delete(s.Webhook.Headers, name)
			}
		default:
			return invalid("clear_secrets", "unknown secret "+quoteName(n)+
				" (names as in secrets_set: hmac_secret, password, webhook_url, bot_token, url_credentials, url_query, header:<Name>)")
		}
	}
	return nil
}

func quoteName(n string) string {
	if len(n) > 80 {
		n = n[:80] + "…"
	}
	return `"` + strings.ToValidUTF8(n, "?") + `"`
}

// normaliseWebhook moves secrets still held in clear in a webhook's config (rows written before
// they were sealed) into its secrets; other channel types are left alone. It reports whether
// anything moved.
func normaliseWebhook(c *Channel, sec *Secrets) (bool, error) {
	if c.Type != TypeWebhook || !hasClearSecrets(c.Config) {
		return false, nil
	}
	// what the old row held in clear is the newest value: it wins over any sealed part
	if err := extractWebhookSecrets(&c.Config, &sec.Webhook); err != nil {
		return false, err
	}
	return true, nil
}

// hasClearSecrets reports whether a webhook config still carries secret parts.
func hasClearSecrets(cfg Config) bool {
	if len(cfg.Headers) > 0 {
		return true
	}
	u, err := url.Parse(cfg.URL)
	return err == nil && (u.User != nil || u.RawQuery != "" || u.Fragment != "")
}

// webhookRequest rebuilds the URL and extra headers a webhook posts with: the public URL
// with the sealed user info and query put back, and the sealed headers (after any a row not
// yet sealed still holds in its config).
func webhookRequest(cfg Config, w WebhookSecrets) (*url.URL, http.Header, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, nil, errors.New("the channel's URL does not parse")
	}
	if w.Userinfo != "" {
		ui, err := url.Parse("http://" + w.Userinfo + "@host/")
		if err != nil {
			return nil, nil, errors.New("the channel's sealed URL credentials do not parse")
		}
		u.User = ui.User
	}
	if w.Query != "" {
		u.RawQuery = w.Query
	}
	u.Fragment, u.RawFragment = "", ""
	h := http.Header{}
	for _, k := range slices.Sorted(maps.Keys(cfg.Headers)) {
		h.Set(k, cfg.Headers[k])
	}
	for k, v := range w.Headers {
		h.Set(k, v)
	}
	return u, h, nil
}
