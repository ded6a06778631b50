package api_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// alertingAPI serves the harness's store and auth with the alert and channel routes, as cmd/api
// does; the channel service's policy allows loopback (the test receivers listen there).
func alertingAPI(t *testing.T, sys *harness.System) string {
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	srv := api.New(api.Params{Store: sys.Store, Redis: sys.Redis, Client: sys.Client, Auth: sys.Auth, Logger: sys.Logger,
		Alerting: &api.Alerting{
			Alerts: alert.NewService(alert.ServiceParams{Rules: sys.Store, Acks: sys.Store, Enqueuer: sys.Client,
				RuleCache: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis)}),
			Channels: notify.NewService(notify.ServiceParams{Channels: sys.Store, Deliveries: sys.Store, Sealer: box,
				Policy: notifytest.AllowLoopback(), Logger: sys.Logger}),
		}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	checkContract(t, hs.URL)
	return hs.URL
}

func as(t *testing.T, base, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	testenv.Must(t, "build request", err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, method+" "+path, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestViewersNeverSeeWebhookCredentials (pen-test finding 1): a webhook's URL credentials,
// query token and header values are in no answer to a viewer, nor in channels.config, nor in
// the audit log; the answer names what is set.
func TestViewersNeverSeeWebhookCredentials(t *testing.T) {
	sys := startAPI(t)
	base := alertingAPI(t, sys)
	viewer := authtest.Token(t, sys.Auth, auth.RoleViewer)
	hook := notifytest.NewWebhook(t, 0)
	full := strings.Replace(hook.URL, "http://", "http://noc:Pa55-W0rd@", 1) + "/alerts?token=TOK-123456"
	code, body := as(t, base, sys.Token, http.MethodPost, "/api/v1/channels", fmt.Sprintf(`{"name":"noc","type":"webhook",
		"config":{"url":%q,"headers":{"Authorization":"Bearer HDR-abcdef","X-Api-Key":"KEY-abcdef"}},"secrets":{"hmac_secret":"HMAC-abcdef"}}`, full))
	if code != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", code, body)
	}
	secretsWritten := []string{"Pa55-W0rd", "TOK-123456", "HDR-abcdef", "KEY-abcdef", "HMAC-abcdef"}
	check := func(what, text string) {
		t.Helper()
		for _, s := range secretsWritten {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q: %s", what, s, text)
			}
		}
	}
	check("the create answer", body)
	for _, path := range []string{"/api/v1/channels", "/api/v1/channels/" + idOf(t, body)} {
		code, body := as(t, base, viewer, http.MethodGet, path, "")
		if code != http.StatusOK {
			t.Fatalf("viewer GET %s: HTTP %d %s", path, code, body)
		}
		check("viewer GET "+path, body)
		for _, want := range []string{`"url":"` + hook.URL + `/alerts"`,
			`"secrets_set":["header:Authorization","header:X-Api-Key","hmac_secret","url_credentials","url_query"]`} {
			if !strings.Contains(body, want) {
				t.Errorf("viewer GET %s lacks %s: %s", path, want, body)
			}
		}
	}
	var row string
	testenv.Must(t, "read rows", sys.Store.Pool().QueryRow(t.Context(), `SELECT
		(SELECT string_agg(config::text || ' ' || array_to_string(secret_names, ','), ' ') FROM channels) || ' ' ||
		coalesce((SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_log a), '')`).Scan(&row))
	check("channels.config and audit_log", row)

	// the test send carries every secret to the receiver
	code, body = as(t, base, sys.Token, http.MethodPost, "/api/v1/channels/"+idOf(t, body)+"/test", "")
	if code != http.StatusOK || !strings.Contains(body, `"state":"delivered"`) {
		t.Fatalf("send test: HTTP %d %s", code, body)
	}
	r := hook.Accepted()[0]
	if r.Query != "token=TOK-123456" || r.Header.Get("Authorization") != "Bearer HDR-abcdef" || r.Header.Get("X-Api-Key") != "KEY-abcdef" {
		t.Errorf("receiver got query %q, headers %v", r.Query, r.Header)
	}
}

// TestWebhookDestinationsAndLastError (pen-test finding 4): the metadata address and loopback
// Redis are refused at write time with a field error; a 500 whose body holds a secret leaves
// only the status line in the delivery log viewers read.
func TestWebhookDestinationsAndLastError(t *testing.T) {
	sys := startAPI(t)
	base := alertingAPI(t, sys)
	for _, target := range []string{"http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:6379/"} {
		code, body := as(t, base, sys.Token, http.MethodPost, "/api/v1/channels",
			fmt.Sprintf(`{"name":"x","type":"webhook","config":{"url":%q}}`, target))
		if code != http.StatusBadRequest || !strings.Contains(body, `"field":"config.url"`) {
			t.Errorf("create a webhook to %s: HTTP %d %s, want 400 on config.url", target, code, body)
		}
	}
	leak := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "SECRET internal answer: redis_password=hunter2")
	}))
	t.Cleanup(leak.Close)
	code, body := as(t, base, sys.Token, http.MethodPost, "/api/v1/channels",
		fmt.Sprintf(`{"name":"leaky","type":"webhook","config":{"url":%q}}`, leak.URL+"/x"))
	if code != http.StatusCreated {
		t.Fatalf("create: HTTP %d %s", code, body)
	}
	as(t, base, sys.Token, http.MethodPost, "/api/v1/channels/"+idOf(t, body)+"/test", "")
	viewer := authtest.Token(t, sys.Auth, auth.RoleViewer)
	code, body = as(t, base, viewer, http.MethodGet, "/api/v1/deliveries", "")
	if code != http.StatusOK || !strings.Contains(body, `"last_error":"HTTP 500 Internal Server Error"`) || strings.Contains(body, "SECRET") {
		t.Errorf("viewer GET /deliveries: HTTP %d %s, want last_error exactly the status line", code, body)
	}
}

// idOf is the "id" of a JSON object answer.
func idOf(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `"id":`)
	if i < 0 {
		t.Fatalf("no id in %s", body)
	}
	rest := body[i+5:]
	j := strings.IndexAny(rest, ",}")
	return strings.TrimSpace(rest[:j])
}
