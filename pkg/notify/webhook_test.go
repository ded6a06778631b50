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
	"github.com/wardops/wardops/testinfra/testenv"
)

// the secret parts of the webhook URL and headers the tests write
var webhookSecrets = []string{"pa55word", "TOKEN1", "Bearer HDR1", "KEY1"}

// rowText is the channel's stored row, config and names as text, for "no secret in clear".
func (f *fixture) rowText(t *testing.T, id int64) string {
	var row string
	testenv.Must(t, "read row", f.st.Pool().QueryRow(t.Context(),
		`SELECT config::text || ' ' || array_to_string(secret_names, ',') FROM channels WHERE id = $1`, id).Scan(&row))
	return row
}

func noSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range webhookSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds %q in clear: %s", what, s, text)
		}
	}
}

// TestWebhookURLAndHeaderSecretsAreSealed: the URL's user info and query and the header values
// are sealed; the answer and the row show the public URL and the names of what is set; the
// sender puts everything back.
func TestWebhookURLAndHeaderSecretsAreSealed(t *testing.T) {
	f := newFixture(t)
	hook := notifytest.NewWebhook(t, 0)
	public := hook.URL + "/hook"
	full := strings.Replace(hook.URL, "http://", "http://noc:pa55word@", 1) + "/hook?token=TOKEN1&team=noc"
	ch, err := f.svc.Create(t.Context(), notify.ChannelInput{Name: ptr("h"), Type: ptr(notify.TypeWebhook),
		Config: &notify.Config{URL: full, Headers: map[string]string{"authorization": "Bearer HDR1", "X-Api-Key": "KEY1"}}})
	testenv.Must(t, "create", err)
	wantNames := []string{"header:Authorization", "header:X-Api-Key", "url_credentials", "url_query"}
	if ch.Config.URL != public || ch.Config.Headers != nil || !cmp.Equal(wantNames, ch.SecretNames) {
		t.Errorf("answer: url %q headers %v secrets_set %v, want %q, none, %v", ch.Config.URL, ch.Config.Headers, ch.SecretNames, public, wantNames)
	}
	raw, _ := json.Marshal(ch)
	noSecret(t, "the create answer", string(raw))
	noSecret(t, "the row", f.rowText(t, ch.ID))
	list, err := f.svc.List(t.Context())
	testenv.Must(t, "list", err)
	raw, _ = json.Marshal(list)
	noSecret(t, "the list", string(raw))

	sendAndCheck := func(step string, wantHeaders map[string]string, wantQuery, wantUser string) {
		t.Helper()
		d, err := f.svc.SendTest(t.Context(), ch.ID)
		testenv.Must(t, step+": send test", err)
		reqs := hook.Requests()
		if d.State != notify.DeliveryDelivered || len(reqs) == 0 {
			t.Fatalf("%s: delivery %+v, %d requests", step, d, len(reqs))
		}
		r := reqs[len(reqs)-1]
		got := map[string]string{"query": r.Query, "user": r.User}
		want := map[string]string{"query": wantQuery, "user": wantUser}
		for k, v := range wantHeaders {
			got[k], want[k] = r.Header.Get(k), v
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: request (-want +got):\n%s", step, diff)
		}
	}
	// an Authorization header takes the place of the URL's basic credentials (as net/http does)
	sendAndCheck("after create", map[string]string{"Authorization": "Bearer HDR1", "X-Api-Key": "KEY1"}, "token=TOKEN1&team=noc", "")

	// the public URL written back (as the form does), a header left empty: everything kept
	ch, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{Name: ptr("h2"),
		Config: &notify.Config{URL: public, Headers: map[string]string{"X-Api-Key": ""}}})
	testenv.Must(t, "update", err)
	if !cmp.Equal(wantNames, ch.SecretNames) {
		t.Errorf("after a rename: secrets_set %v, want %v", ch.SecretNames, wantNames)
	}
	sendAndCheck("after a rename", map[string]string{"Authorization": "Bearer HDR1", "X-Api-Key": "KEY1"}, "token=TOKEN1&team=noc", "")

	// clear one header and the query, replace another header: the URL's credentials are used again
	ch, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{ClearSecrets: []string{"header:authorization", "url_query"},
		Config: &notify.Config{URL: public, Headers: map[string]string{"X-Api-Key": "KEY2"}}})
	testenv.Must(t, "clear", err)
	if want := []string{"header:X-Api-Key", "url_credentials"}; !cmp.Equal(want, ch.SecretNames) {
		t.Errorf("after clearing: secrets_set %v, want %v", ch.SecretNames, want)
	}
	sendAndCheck("after clearing", map[string]string{"X-Api-Key": "KEY2"}, "", "noc:pa55word")

	_, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{ClearSecrets: []string{"header:"}})
	var fe *alert.FieldError
	if !errors.As(err, &fe) || fe.Field != "clear_secrets" {
		t.Errorf("clearing an unknown secret: %v, want a field error on clear_secrets", err)
	}
	_, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{Config: &notify.Config{URL: public, Headers: map[string]string{"X-Bad": "a\r\nInjected: 1"}}})
	if !errors.As(err, &fe) || fe.Field != "config.headers" {
		t.Errorf("a header value with CR LF: %v, want a field error on config.headers", err)
	}

	// another destination does not inherit the old one's credentials
	other := notifytest.NewWebhook(t, 0)
	ch, err = f.svc.Update(t.Context(), ch.ID, notify.ChannelInput{Config: &notify.Config{URL: other.URL + "/hook"}})
	testenv.Must(t, "move", err)
	if len(ch.SecretNames) != 0 {
		t.Errorf("after moving to another host: secrets_set %v, want none", ch.SecretNames)
	}
	_, err = f.svc.SendTest(t.Context(), ch.ID)
	testenv.Must(t, "send to the new host", err)
	if r := other.Requests(); len(r) != 1 || r[0].Header.Get("Authorization") != "" || r[0].User != "" {
		t.Errorf("the new host got %+v, want one request without the old credentials", r)
	}
}

// TestSealClearSecretsOfOldRows: a webhook row written the old way (credentials, query and
// headers in clear in channels.config, an HMAC secret already sealed) is hidden from answers at
// once and sealed by the startup step, losing nothing; the step is idempotent.
func TestSealClearSecretsOfOldRows(t *testing.T) {
	f := newFixture(t)
	hook := notifytest.NewWebhook(t, 0)
	id, err := f.st.NewChannelID(t.Context())
	testenv.Must(t, "channel id", err)
	sealedHMAC, err := f.box.Seal([]byte(`{"hmac_secret":"old-hmac"}`), []byte("wardops:channel:"+itoa(id)+":secrets"))
	testenv.Must(t, "seal the old secrets", err)
	cfg, _ := json.Marshal(map[string]any{
		"url":     strings.Replace(hook.URL, "http://", "http://noc:pa55word@", 1) + "/hook?token=TOKEN1",
		"headers": map[string]string{"X-Auth": "Bearer HDR1", "X-Api-Key": "KEY1"}})
	_, err = f.st.Pool().Exec(t.Context(), `INSERT INTO channels (id, name, type, config, secret, secret_names)
		VALUES ($1, 'legacy', 'webhook', $2, $3, '{hmac_secret}')`, id, cfg, sealedHMAC)
	testenv.Must(t, "insert the old row", err)

	// before sealing: answers already hide the clear values
	got, err := f.svc.Get(t.Context(), id)
	testenv.Must(t, "get", err)
	raw, _ := json.Marshal(got)
	noSecret(t, "the answer before sealing", string(raw))
	allNames := []string{"header:X-Api-Key", "header:X-Auth", "hmac_secret", "url_credentials", "url_query"}
	if !cmp.Equal(allNames, got.SecretNames) || got.Config.URL != hook.URL+"/hook" {
		t.Errorf("before sealing: url %q secrets_set %v, want %q %v", got.Config.URL, got.SecretNames, hook.URL+"/hook", allNames)
	}

	// without a key nothing is sealed and the caller is told
	n, err := notify.SealClearSecrets(t.Context(), f.st, nil, nil)
	if n != 1 || !errors.Is(err, notify.ErrClearSecretsUnsealed) {
		t.Errorf("without a key: %d, %v; want 1 waiting, ErrClearSecretsUnsealed", n, err)
	}
	n, err = notify.SealClearSecrets(t.Context(), f.st, f.box, nil)
	testenv.Must(t, "seal", err)
	if n != 1 {
		t.Errorf("sealed %d channels, want 1", n)
	}
	noSecret(t, "the row after sealing", f.rowText(t, id))
	stored, err := f.st.GetChannel(t.Context(), id)
	testenv.Must(t, "get stored", err)
	if !cmp.Equal(allNames, stored.SecretNames) {
		t.Errorf("stored secret names %v, want %v", stored.SecretNames, allNames)
	}
	if n, err := notify.SealClearSecrets(t.Context(), f.st, f.box, nil); err != nil || n != 0 {
		t.Errorf("second run: %d, %v; want 0, nil", n, err)
	}
	// nothing lost: the delivery carries every part and the old HMAC signature
	f.delivery(t, "k-legacy", id)
	testenv.Must(t, "deliver", f.handler.ProcessTask(t.Context(), asynqTask("k-legacy")))
	reqs := hook.Accepted()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	got2 := map[string]string{"auth": r.Header.Get("X-Auth"), "key": r.Header.Get("X-Api-Key"), "query": r.Query,
		"user": r.User, "signed": boolText(r.Header.Get(notify.HeaderSignature) == notify.Sign([]byte("old-hmac"), r.Body))}
	want := map[string]string{"auth": "Bearer HDR1", "key": "KEY1", "query": "token=TOKEN1", "user": "noc:pa55word", "signed": "true"}
	if diff := cmp.Diff(want, got2); diff != "" {
		t.Errorf("delivery after sealing (-want +got):\n%s", diff)
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
