package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
)

func testMessage() *alert.Message {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return &alert.Message{Event: alert.NotifyFiring, AlertID: 7, RuleID: 1, Rule: "Device down", Kind: alert.KindDeviceDown,
		Severity: alert.SeverityCritical, State: alert.StateFiring, DeviceID: 3, Device: "br1-router", IP: "127.0.0.1",
		Branch: "BR1", Summary: "br1-router down", StartedAt: at, At: at, DeliveryKey: "a7-e9-c1",
		Incident: &alert.IncidentRef{ID: 4, RootDeviceID: 3, Title: "Branch BR1: br1-router down — 5 devices unreachable", Affected: 5}}
}

func send(t *testing.T, s notify.Sender, ch notify.Channel, sec notify.Secrets) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), ch.Config.Timeout())
	defer cancel()
	return s.Send(ctx, &ch, sec, testMessage())
}

func TestWebhookSender(t *testing.T) {
	w := notifytest.NewWebhook(t, 0)
	ch := notify.Channel{Type: notify.TypeWebhook, Config: notify.Config{URL: w.URL + "/hook", Headers: map[string]string{"X-Team": "noc"}}}
	if err := send(t, &notify.WebhookSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{HMACSecret: "s3cret"}); err != nil {
		t.Fatalf("send: %v", err)
	}
	reqs := w.Accepted()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if got, want := r.Header.Get(notify.HeaderSignature), notify.Sign([]byte("s3cret"), r.Body); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	hdr := map[string]string{"delivery": r.Header.Get(notify.HeaderDelivery), "event": r.Header.Get(notify.HeaderEvent),
		"team": r.Header.Get("X-Team"), "type": r.Header.Get("Content-Type")}
	want := map[string]string{"delivery": "a7-e9-c1", "event": "firing", "team": "noc", "type": "application/json"}
	if diff := cmp.Diff(want, hdr); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	var got alert.Message
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body: %v", err)
	}
	if diff := cmp.Diff(*testMessage(), got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestHTTPFailures(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		delay     time.Duration
		permanent bool
	}{
		{"server error is retried", http.StatusBadGateway, 0, false},
		{"too many requests is retried", http.StatusTooManyRequests, 0, false},
		{"bad request is permanent", http.StatusBadRequest, 0, true},
		{"gone is permanent", http.StatusGone, 0, true},
		{"timeout is retried", http.StatusOK, time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(tc.delay):
				case <-r.Context().Done():
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, "nope")
			}))
			defer srv.Close()
			ch := notify.Channel{Type: notify.TypeWebhook, Config: notify.Config{URL: srv.URL, TimeoutMS: 300}}
			err := send(t, &notify.WebhookSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{})
			if err == nil {
				t.Fatal("send succeeded")
			}
			if notify.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v (%v)", notify.IsPermanent(err), tc.permanent, err)
			}
		})
	}
}

func TestSlackSender(t *testing.T) {
	w := notifytest.NewWebhook(t, 0)
	ch := notify.Channel{Type: notify.TypeSlack}
	if err := send(t, &notify.SlackSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{WebhookURL: w.URL + "/services/T0/B0/xyz"}); err != nil {
		t.Fatalf("send: %v", err)
	}
	var body map[string]string
	r := w.Accepted()[0]
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if r.Path != "/services/T0/B0/xyz" || !strings.HasPrefix(body["text"], "[FIRING critical] br1-router down\nIncident: Branch BR1") {
		t.Errorf("slack request %s: %q", r.Path, body["text"])
	}
}

func TestSlackErrorsDoNotLeakTheURL(t *testing.T) {
	ch := notify.Channel{Type: notify.TypeSlack, Config: notify.Config{TimeoutMS: 500}}
	secret := "http://127.0.0.1:1/services/T0/B0/supersecret"
	err := send(t, &notify.SlackSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{WebhookURL: secret})
	if err == nil || strings.Contains(err.Error(), "supersecret") {
		t.Fatalf("error = %v, want a failure without the URL", err)
	}
}

func TestTelegramSender(t *testing.T) {
	const token = "123:ABC"
	var gotPath string
	var gotBody map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		_ = json.NewDecoder(r.Body).Decode(&gotBody)
		if gotBody["chat_id"] == "bad" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ok":false,"description":"Bad Request: chat not found"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true,"result":{}}`)
	}))
	defer srv.Close()
	ch := notify.Channel{Type: notify.TypeTelegram, Config: notify.Config{APIBase: srv.URL, ChatID: "-100200"}}
	if err := send(t, &notify.TelegramSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{BotToken: token}); err != nil {
		t.Fatalf("send: %v", err)
	}
	if gotPath != "/bot"+token+"/sendMessage" || gotBody["chat_id"] != "-100200" ||
		!strings.Contains(gotBody["text"].(string), "br1-router down") {
		t.Errorf("request %s %v", gotPath, gotBody)
	}
	ch.Config.ChatID = "bad"
	err := send(t, &notify.TelegramSender{Client: notifytest.AllowLoopback().HTTPClient()}, ch, notify.Secrets{BotToken: token})
	// the status line only: neither the answer's description nor the token
	if err == nil || !notify.IsPermanent(err) || err.Error() != "HTTP 400 Bad Request" {
		t.Errorf("error = %v, want a permanent %q", err, "HTTP 400 Bad Request")
	}
}

func TestEmailSender(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
		ch := notify.Channel{Type: notify.TypeEmail, Config: notify.Config{Host: srv.Host, Port: srv.Port,
			From: "wardops@bank.test", To: []string{"noc@bank.test", "oncall@bank.test"}}}
		if err := send(t, &notify.EmailSender{Policy: notifytest.AllowLoopback()}, ch, notify.Secrets{}); err != nil {
			t.Fatalf("send: %v", err)
		}
		m := srv.Messages()
		if len(m) != 1 || m[0].From != "wardops@bank.test" || len(m[0].To) != 2 || m[0].TLS {
			t.Fatalf("messages = %+v", m)
		}
		for _, want := range []string{"Subject: [FIRING critical] br1-router down", "X-WardOps-Delivery: a7-e9-c1",
			"Message-ID: <a7-e9-c1@wardops>", "Branch BR1: br1-router down =E2=80=94 5 devices unreachable"} {
			if !strings.Contains(m[0].Data, want) {
				t.Errorf("message lacks %q:\n%s", want, m[0].Data)
			}
		}
	})
	t.Run("starttls and auth", func(t *testing.T) {
		srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, User: "noc", Password: "pw"})
		ch := notify.Channel{Type: notify.TypeEmail, Config: notify.Config{Host: srv.Host, Port: srv.Port, StartTLS: true,
			TLSSkipVerify: true, Username: "noc", From: "wardops@bank.test", To: []string{"noc@bank.test"}}}
		if err := send(t, &notify.EmailSender{Policy: notifytest.AllowLoopback()}, ch, notify.Secrets{Password: "pw"}); err != nil {
			t.Fatalf("send: %v", err)
		}
		if m := srv.Messages(); len(m) != 1 || !m[0].TLS || m[0].User != "noc" {
			t.Fatalf("messages = %+v", m)
		}
		err := send(t, &notify.EmailSender{Policy: notifytest.AllowLoopback()}, ch, notify.Secrets{Password: "wrong"})
		if err == nil || !notify.IsPermanent(err) {
			t.Errorf("wrong password: error = %v, want permanent", err)
		}
	})
	t.Run("starttls required but not offered", func(t *testing.T) {
		srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
		ch := notify.Channel{Type: notify.TypeEmail, Config: notify.Config{Host: srv.Host, Port: srv.Port, StartTLS: true,
			From: "wardops@bank.test", To: []string{"noc@bank.test"}}}
		if err := send(t, &notify.EmailSender{Policy: notifytest.AllowLoopback()}, ch, notify.Secrets{}); err == nil || !notify.IsPermanent(err) || len(srv.Messages()) != 0 {
			t.Errorf("error = %v, messages %d: want a permanent refusal and nothing sent", err, len(srv.Messages()))
		}
	})
	t.Run("server unreachable", func(t *testing.T) {
		ch := notify.Channel{Type: notify.TypeEmail, Config: notify.Config{Host: "127.0.0.1", Port: 1, TimeoutMS: 500,
			From: "wardops@bank.test", To: []string{"noc@bank.test"}}}
		if err := send(t, &notify.EmailSender{Policy: notifytest.AllowLoopback()}, ch, notify.Secrets{}); err == nil || notify.IsPermanent(err) {
			t.Errorf("error = %v, want a retryable failure", err)
		}
	})
}
