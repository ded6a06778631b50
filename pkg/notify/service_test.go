package notify_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestChannelSecretsAreWriteOnly(t *testing.T) {
	f := newFixture(t)
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("tg"), Type: ptr(notify.TypeTelegram),
		Config:  &notify.Config{ChatID: "-1", APIBase: "http://127.0.0.1:1"},
		Secrets: &notify.Secrets{BotToken: "999:TOPSECRET"}, Severities: &[]alert.Severity{alert.SeverityCritical}})
	testenv.Must(t, "create", err)
	if diff := cmp.Diff([]string{"bot_token"}, ch.SecretNames); diff != "" {
		t.Errorf("secrets_set (-want +got):\n%s", diff)
	}
	raw, _ := json.Marshal(ch)
	var row string
	testenv.Must(t, "read row", f.st.Pool().QueryRow(t.Context(), `SELECT config::text || secret FROM channels WHERE id = $1`, ch.ID).Scan(&row))
	if strings.Contains(string(raw), "TOPSECRET") || strings.Contains(row, "TOPSECRET") {
		t.Fatalf("secret in clear: api %s / row %s", raw, row)
	}
	// An update without secrets keeps them; the channel still opens with its key.
	ch, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{Config: &notify.Config{ChatID: "-2", APIBase: "http://127.0.0.1:1"}})
	testenv.Must(t, "update", err)
	stored, err := f.st.GetChannel(t.Context(), ch.ID)
	testenv.Must(t, "get", err)
	opened, err := f.box.Open(stored.Sealed, []byte("wardops:channel:"+itoa(ch.ID)+":secrets"))
	testenv.Must(t, "open secrets", err)
	if !strings.Contains(string(opened), "999:TOPSECRET") || ch.Config.ChatID != "-2" {
		t.Errorf("after update: secrets %s, chat %s", opened, ch.Config.ChatID)
	}
	// Copied to another channel row, the sealed value does not open.
	other, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("hook"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: "http://127.0.0.1:1/"}})
	testenv.Must(t, "create other", err)
	if _, err := f.box.Open(stored.Sealed, []byte("wardops:channel:"+itoa(other.ID)+":secrets")); err == nil {
		t.Error("sealed secrets opened for another channel")
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestChannelValidation(t *testing.T) {
	f := newFixture(t)
	good := notify.Config{URL: "http://127.0.0.1:9/x"}
	tests := []struct {
		name  string
		in    notify.ChannelInput
		field string
	}{
		{"no type", notify.ChannelInput{Name: ptr("a")}, "type"},
		{"bad type", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.Type("pager"))}, "type"},
		{"no name", notify.ChannelInput{Type: ptr(notify.TypeWebhook), Config: &good}, "name"},
		{"bad url", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeWebhook), Config: &notify.Config{URL: "ftp://x"}}, "config.url"},
		{"bad severity", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeWebhook), Config: &good,
			Severities: &[]alert.Severity{"page"}}, "severities"},
		{"bad scope", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeWebhook), Config: &good,
			Scope: &alert.Scope{Branches: []string{" "}}}, "scope.branches"},
		{"slack without url", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeSlack)}, "secrets.webhook_url"},
		{"telegram without token", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeTelegram),
			Config: &notify.Config{ChatID: "1"}}, "secrets.bot_token"},
		{"telegram without chat", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeTelegram),
			Secrets: &notify.Secrets{BotToken: "x"}}, "config.chat_id"},
		{"email without host", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeEmail)}, "config.host"},
		{"email bad from", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeEmail),
			Config: &notify.Config{Host: "127.0.0.1", From: "nobody", To: []string{"a@b.test"}}}, "config.from"},
		{"email no recipients", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeEmail),
			Config: &notify.Config{Host: "127.0.0.1", From: "a@b.test"}}, "config.to"},
		{"timeout", notify.ChannelInput{Name: ptr("a"), Type: ptr(notify.TypeWebhook),
			Config: &notify.Config{URL: "http://127.0.0.1/", TimeoutMS: -1}}, "config.timeout_ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(t.Context(), tc.in)
			var fe *alert.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("error = %v, want a FieldError on %q", err, tc.field)
			}
		})
	}
	_, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("dup"), Type: ptr(notify.TypeWebhook), Config: &good})
	testenv.Must(t, "create", err)
	_, err = f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("dup"), Type: ptr(notify.TypeWebhook), Config: &good})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	if _, err := f.svc.Get(t.Context(), 424242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown channel: %v, want ErrNotFound", err)
	}
}

func TestSendTest(t *testing.T) {
	f := newFixture(t)
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("mail"), Type: ptr(notify.TypeEmail),
		Config: &notify.Config{Host: smtp.Host, Port: smtp.Port, From: "wardops@bank.test", To: []string{"noc@bank.test"}}})
	testenv.Must(t, "create", err)
	d, err := f.svc.SendTest(t.Context(), ch.ID)
	testenv.Must(t, "send test", err)
	if d.State != notify.DeliveryDelivered || len(smtp.Messages()) != 1 || !strings.Contains(smtp.Messages()[0].Data, "[TEST warning]") {
		t.Fatalf("test delivery = %+v, messages %d", d, len(smtp.Messages()))
	}
	bad, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("dead"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: "http://127.0.0.1:1/", TimeoutMS: 500}})
	testenv.Must(t, "create", err)
	d, err = f.svc.SendTest(t.Context(), bad.ID)
	testenv.Must(t, "send test", err)
	if d.State != notify.DeliveryFailed || d.LastError == "" {
		t.Errorf("failed test delivery = %+v", d)
	}
	log, err := f.st.ListDeliveries(t.Context(), store.DeliveryFilter{ChannelID: ch.ID})
	testenv.Must(t, "delivery log", err)
	if len(log) != 1 || log[0].State != notify.DeliveryDelivered {
		t.Errorf("delivery log of the mail channel = %+v", log)
	}
}
