package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsSecretKey(t *testing.T) {
	secret := []string{"password", "Password", "new_password", "community", "snmp_community", "auth_key", "authKey",
		"priv-key", "priv_pass", "auth_password", "api_key", "token", "bearer_token", "secret", "client_secret",
		"webhook_url", "WebhookURL", "cookie", "Authorization", "session_id", "pass", "pwd", "private_key", "credentials"}
	public := []string{"name", "username", "ip", "auth_protocol", "priv_protocol", "token_id", "token_name",
		"prefix", "role", "labels", "key_count", "url", "session_idle"}
	for _, k := range secret {
		if !IsSecretKey(k) {
			t.Errorf("%q should be secret", k)
		}
	}
	for _, k := range public {
		if IsSecretKey(k) {
			t.Errorf("%q should not be secret", k)
		}
	}
}

func TestRedact(t *testing.T) {
	type snmp struct {
		Version   string `json:"version"`
		Community string `json:"community"`
		AuthKey   string `json:"auth_key"`
		User      string `json:"user"`
	}
	in := map[string]any{
		"name":  "r1",
		"snmp":  snmp{Version: "3", Community: "", AuthKey: "s3cret-auth", User: "mon"},
		"hooks": []any{map[string]any{"webhook_url": "https://hooks.example.invalid/T0/B1/xyz"}},
		"note":  "use wdo_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg please",
		"dsn":   "postgres://app:hunter2hunter2@127.0.0.1:5432/db",
		"count": 12345678901234567,
	}
	raw, err := Redact(in)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":  "r1",
		"snmp":  map[string]any{"version": "3", "community": "", "auth_key": Redacted, "user": "mon"},
		"hooks": []any{map[string]any{"webhook_url": Redacted}},
		"note":  "use " + Redacted + " please",
		"dsn":   "postgres://app:" + Redacted + "@127.0.0.1:5432/db",
		"count": json.Number("12345678901234567"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if nilDoc, err := Redact(nil); err != nil || nilDoc != nil {
		t.Errorf("Redact(nil) = %s, %v", nilDoc, err)
	}
}

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewRedactingHandler(slog.NewJSONHandler(&buf, nil)))
	secrets := []string{"public-community", "hunter2hunter2", "wdo_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg", "v3-priv-key"}
	logger.With("community", secrets[0]).Info("poll", "device", "r1")
	logger.Info("connect", "dsn", "postgres://u:"+secrets[1]+"@127.0.0.1/db")
	logger.Warn("bad token", "err", errors.New("token "+secrets[2]+" rejected"))
	logger.Info("creds", slog.Group("snmp", "priv_key", secrets[3], "user", "mon"))
	logger.Info("device", "config", map[string]string{"priv_pass": secrets[3], "name": "r1"})
	out := buf.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q leaked into logs:\n%s", s, out)
		}
	}
	for _, keep := range []string{`"device":"r1"`, `"user":"mon"`, Redacted} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lost %s:\n%s", keep, out)
		}
	}
}
