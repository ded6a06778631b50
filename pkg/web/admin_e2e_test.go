package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// admin is the running system of TestAdminEditing.
type admin struct {
	t     *testing.T
	sys   *harness.System
	front *front
	b     *browser
	ctx   context.Context
	dev   int64 // the one device, br1-router
}

// TestAdminEditing drives the admin tabs in headless chromium against an API replica wired
// like cmd/api, checking every write through the API afterwards: a one-off maintenance window
// typed in Berlin time is created (stored in UTC), edited into a weekly one and deleted after a
// cancelled and a confirmed confirmation; a webhook channel is created with an HMAC secret,
// renamed without retyping the secret, and its "send test" reaches a local webhook signed
// with that secret; a rule is refused twice (a threshold that is not a number, by the page;
// an empty name and a recovery threshold above the threshold, by the API), each error shown
// beside its field, then created; an if_down rule scoped to uplink interfaces (refused first for
// a bad glob) and a rule on an extra OID (refused first without the OID's name, the error beside
// that field) are created; a viewer user and an API token for it are created (the token
// shown once, usable, then revoked); and that viewer signs in and sees the lists read-only.
func TestAdminEditing(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	x := &admin{t: t, sys: sys}
	x.front = startFront(t, sys, nil)
	var dev struct {
		ID int64 `json:"id"`
	}
	x.front.do(t, http.MethodPost, "/api/v1/regions", `{"name":"north"}`, nil)
	x.front.do(t, http.MethodPost, "/api/v1/branches", `{"name":"BR-1","region":"north"}`, nil)
	if code := x.front.do(t, http.MethodPost, "/api/v1/devices", `{"name":"br1-router","ip":"127.62.0.1","branch":"BR-1","region":"north","type":"router"}`, &dev); code != http.StatusCreated {
		t.Fatalf("create device: HTTP %d", code)
	}
	x.dev = dev.ID
	authtest.User(t, sys.Auth, "noc-admin", auth.RoleAdmin)
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("noc-admin", authtest.Password, "noc-admin (admin)")

	x.maintenance()
	x.channel()
	x.rule()
	x.interfaceAndOIDRules()
	x.users()
	x.asViewer()
}

func (x *admin) signIn(user, pass, who string) {
	b, ctx := x.b, x.ctx
	b.do(ctx, "open dashboard", chromedp.Navigate(x.front.URL()+"/#/admin"), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	x.set("login-user", user)
	x.set("login-pass", pass)
	b.do(ctx, "sign in", chromedp.Click(chromedp.CSS("#login-form button")))
	b.wait(ctx, "signed in as "+user, fmt.Sprintf(`document.getElementById('who').textContent === %q && document.getElementById('login').hidden`, who), 10*time.Second)
}

// set gives a form control a value as typing or picking would, with input and change events.
func (x *admin) set(id, value string) {
	x.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.getElementById(%q); if (!el) return false; el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, id, value)
	if !eval[bool](x.b, x.ctx, js) {
		x.t.Fatalf("no form control #%s", id)
	}
}

// shot scrolls to the top (a focused field may have scrolled the page) and takes a screenshot.
func (x *admin) shot(name string) {
	x.t.Helper()
	eval[bool](x.b, x.ctx, `(window.scrollTo(0, 0), true)`)
	x.b.shot(x.ctx, name)
}

func (x *admin) click(what, sel string) {
	x.t.Helper()
	x.b.do(x.ctx, what, chromedp.Click(chromedp.CSS(sel)))
}

// message waits for a form's status line to start with prefix.
func (x *admin) message(key, prefix string) {
	x.t.Helper()
	x.b.wait(x.ctx, key+" says "+prefix, fmt.Sprintf(`document.getElementById('%s-msg')?.textContent.startsWith(%q)`, key, prefix), 10*time.Second)
}

// fieldError waits for the error shown beside the input with id.
func (x *admin) fieldError(id, text string) {
	x.t.Helper()
	x.b.wait(x.ctx, "error beside "+id, fmt.Sprintf(`document.getElementById('%[1]s-error').textContent === %[2]q &&
		document.getElementById('%[1]s').getAttribute('aria-invalid') === 'true' && document.getElementById('%[1]s').closest('label').classList.contains('invalid')`, id, text), 10*time.Second)
}

// confirm clicks a delete button, cancels the dialog once (nothing is deleted), then confirms.
func (x *admin) confirm(button string, stillThere func() bool) {
	x.t.Helper()
	x.click("delete", button)
	x.b.wait(x.ctx, "confirmation dialog", `document.getElementById('dialog').open`, 5*time.Second)
	x.click("cancel", "#dialog-cancel")
	x.b.wait(x.ctx, "dialog closed", `!document.getElementById('dialog').open`, 5*time.Second)
	if !stillThere() {
		x.t.Fatalf("%s: deleted although the confirmation was cancelled", button)
	}
	x.click("delete again", button)
	x.b.wait(x.ctx, "confirmation dialog", `document.getElementById('dialog').open`, 5*time.Second)
	x.click("confirm", "#dialog-ok")
}

func (x *admin) open(hash, ready string) {
	x.t.Helper()
	x.b.do(x.ctx, "open "+hash, chromedp.Navigate(x.front.URL()+"/"+hash))
	x.b.wait(x.ctx, hash+" ready", ready, 10*time.Second)
}

func (x *admin) maintenance() {
	t := x.t
	x.open("#/admin/maintenance", `document.getElementById('win-list')?.textContent === 'No windows yet.' && !!document.getElementById('win-form')`)
	x.b.do(x.ctx, "type name", chromedp.SendKeys(chromedp.CSS("#win-name"), "Core switch upgrade"))
	x.set("win-time_zone", "Europe/Berlin")
	x.set("win-starts_at", "2030-01-15T22:00")
	x.set("win-ends_at", "2030-01-15T23:30")
	x.set("win-targets-branches", "BR-1")
	x.set("win-targets-devices", "br1-router")
	x.click("create window", "#win-save")
	x.message("win", "Created")
	var list struct {
		Windows []alert.Window `json:"windows"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/maintenance", "", &list)
	if len(list.Windows) != 1 {
		t.Fatalf("%d windows after creating one, want 1", len(list.Windows))
	}
	w := list.Windows[0]
	start, end := time.Date(2030, 1, 15, 21, 0, 0, 0, time.UTC), time.Date(2030, 1, 15, 22, 30, 0, 0, time.UTC)
	want := alert.Window{ID: w.ID, Name: "Core switch upgrade", Kind: "once", StartsAt: &start, EndsAt: &end, Weekdays: []int{},
		TimeZone: "Europe/Berlin", Targets: alert.Scope{Branches: []string{"BR-1"}, Devices: []int64{x.dev}}, Enabled: true, CreatedBy: "noc-admin"}
	w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(want, w, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("window created in the browser (-want +got):\n%s", diff)
	}
	x.b.wait(x.ctx, "listed", fmt.Sprintf(`document.querySelector('#win-list tr[data-id="%d"]')?.textContent.includes('2030-01-15 22:00 → 2030-01-15 23:30 Europe/Berlin')`, w.ID), 5*time.Second)
	x.shot("admin-maintenance")

	// edit it into a weekly window: Tuesdays and Thursdays at 02:00 Berlin for 90 minutes
	x.set("win-name", "Core switch upgrades")
	x.set("win-kind", "weekly")
	x.click("Tuesday", "#win-weekdays-2")
	x.click("Thursday", "#win-weekdays-4")
	x.set("win-start_time", "02:00")
	x.set("win-duration_minutes", "90")
	x.click("save window", "#win-save")
	x.message("win", "Saved")
	var got alert.Window
	x.front.do(t, http.MethodGet, fmt.Sprintf("/api/v1/maintenance/%d", w.ID), "", &got)
	want = alert.Window{ID: w.ID, Name: "Core switch upgrades", Kind: "weekly", Weekdays: []int{2, 4}, StartTime: "02:00", DurationMinutes: 90,
		TimeZone: "Europe/Berlin", Targets: want.Targets, Enabled: true, CreatedBy: "noc-admin"}
	got.CreatedAt, got.UpdatedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("window edited in the browser (-want +got):\n%s", diff)
	}

	path := fmt.Sprintf("/api/v1/maintenance/%d", w.ID)
	x.confirm("#win-delete", func() bool { return x.front.do(t, http.MethodGet, path, "", nil) == http.StatusOK })
	x.message("win", "Deleted")
	if code := x.front.do(t, http.MethodGet, path, "", nil); code != http.StatusNotFound {
		t.Errorf("GET the deleted window: HTTP %d, want 404", code)
	}
	x.b.wait(x.ctx, "list empty", `document.getElementById('win-list').textContent === 'No windows yet.'`, 5*time.Second)
}

func (x *admin) channel() {
	t := x.t
	hook := newWebhook(t)
	x.open("#/admin/channels", `!!document.getElementById('chan-form') && document.getElementById('chan-list').textContent === 'No channels yet.'`)
	x.b.do(x.ctx, "type name", chromedp.SendKeys(chromedp.CSS("#chan-name"), "noc-hook"))
	x.set("chan-config-url", hook.srv.URL+"/alerts")
	x.b.do(x.ctx, "type secret", chromedp.SendKeys(chromedp.CSS("#chan-secrets-hmac_secret"), "hmac-secret-1234"))
	x.set("chan-config-headers", "X-Api-Key=KEY-browser-1")
	x.click("critical", "#chan-severities-critical")
	x.click("major", "#chan-severities-major")
	x.set("chan-scope-regions", "north")
	x.click("create channel", "#chan-save")
	x.message("chan", "Created")
	var list struct {
		Channels []notify.Channel `json:"channels"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/channels", "", &list)
	if len(list.Channels) != 1 {
		t.Fatalf("%d channels after creating one, want 1", len(list.Channels))
	}
	c := list.Channels[0]
	want := notify.Channel{ID: c.ID, Name: "noc-hook", Type: notify.TypeWebhook, Config: notify.Config{URL: hook.srv.URL + "/alerts"},
		SecretNames: []string{"header:X-Api-Key", "hmac_secret"}, Severities: []alert.Severity{"critical", "major"}, Scope: alert.Scope{Regions: []string{"north"}}, Enabled: true}
	c.CreatedAt, c.UpdatedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(want, c, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("channel created in the browser (-want +got):\n%s", diff)
	}
	// the secret is not in the page any more; the input says one is set
	x.b.wait(x.ctx, "secret input emptied", `(() => { const el = document.getElementById('chan-secrets-hmac_secret');
		return el.value === '' && el.placeholder === 'set (type to replace)'; })()`, 5*time.Second)
	// nor the header value: the headers input names what is stored
	x.b.wait(x.ctx, "headers input emptied", `(() => { const el = document.getElementById('chan-config-headers');
		return el.value === '' && el.placeholder === 'set: X-Api-Key'; })()`, 5*time.Second)

	// rename without typing the secret: the stored one stays, and signs the test message
	x.set("chan-name", "noc-hook-2")
	x.click("save channel", "#chan-save")
	x.message("chan", "Saved")
	var got notify.Channel
	x.front.do(t, http.MethodGet, fmt.Sprintf("/api/v1/channels/%d", c.ID), "", &got)
	if got.Name != "noc-hook-2" || !cmp.Equal(got.SecretNames, []string{"header:X-Api-Key", "hmac_secret"}) {
		t.Errorf("after a rename: name %q, secrets set %v, want noc-hook-2 with header:X-Api-Key and hmac_secret kept", got.Name, got.SecretNames)
	}
	x.click("send test", "#chan-test")
	x.b.wait(x.ctx, "test delivered", `document.getElementById('chan-test-result').dataset.state === 'delivered'`, 15*time.Second)
	if sig, body := hook.last(); sig != notify.Sign([]byte("hmac-secret-1234"), body) {
		t.Errorf("test message signature %q does not match the secret typed at create", sig)
	}
	hook.mu.Lock()
	if hook.key != "KEY-browser-1" {
		t.Errorf("test message X-Api-Key %q, want the header typed at create", hook.key)
	}
	hook.mu.Unlock()
	x.shot("admin-channels")
}

func (x *admin) rule() {
	t := x.t
	var before struct {
		Rules []alert.Rule `json:"rules"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/rules", "", &before)
	x.open("#/admin/rules", `!!document.getElementById('rule-form') && !document.getElementById('rule-list').textContent.includes('loading')`)
	x.set("rule-kind", "ping_rtt_ms")
	x.set("rule-threshold", "abc")
	x.click("save", "#rule-save")
	x.fieldError("rule-threshold", "must be a number")
	x.set("rule-threshold", "200")
	x.click("save", "#rule-save")
	x.fieldError("rule-name", "must be 1 to 200 characters") // the API's 400, field "name"
	if eval[string](x.b, x.ctx, `document.getElementById('rule-threshold-error').textContent`) != "" {
		t.Errorf("the threshold error stayed after the threshold was fixed")
	}
	x.shot("admin-rule-error")
	x.set("rule-name", "RTT high")
	x.set("rule-recovery_threshold", "250")
	x.click("save", "#rule-save")
	x.fieldError("rule-recovery_threshold", "must not be above threshold for op >=")
	x.set("rule-recovery_threshold", "150")
	x.set("rule-for_cycles", "3")
	x.set("rule-recover_cycles", "2")
	x.set("rule-severity", "major")
	x.set("rule-scope-branches", "BR-1")
	x.click("create rule", "#rule-save")
	x.message("rule", "Created")
	var after struct {
		Rules []alert.Rule `json:"rules"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/rules", "", &after)
	if len(after.Rules) != len(before.Rules)+1 {
		t.Fatalf("%d rules after creating one (and two refused saves), want %d", len(after.Rules), len(before.Rules)+1)
	}
	var r alert.Rule
	for _, rr := range after.Rules {
		if rr.Name == "RTT high" {
			r = rr
		}
	}
	want := alert.Rule{ID: r.ID, Name: "RTT high", Kind: alert.KindPingRTTMS, Op: alert.OpGE, Threshold: 200, RecoveryThreshold: 150,
		ForCycles: 3, RecoverCycles: 2, Severity: alert.SeverityMajor, Scope: alert.Scope{Branches: []string{"BR-1"}},
		FlapChanges: 4, FlapWindowS: 900, Enabled: true}
	r.CreatedAt, r.UpdatedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(want, r, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rule created in the browser (-want +got):\n%s", diff)
	}
	if !eval[bool](x.b, x.ctx, `document.getElementById('rule-kind').disabled`) {
		t.Errorf("the kind of a stored rule can be changed in the form; the API refuses that")
	}
	x.shot("admin-rules")
}

// interfaceAndOIDRules creates an if_down rule scoped to uplink interfaces, refused first by the
// API for a bad glob (the error beside the interface names), and a rule on an extra OID, refused
// first for a missing OID name (the error beside that field, not the hidden system metric).
func (x *admin) interfaceAndOIDRules() {
	t := x.t
	find := func(name string) (alert.Rule, bool) {
		var all struct {
			Rules []alert.Rule `json:"rules"`
		}
		x.front.do(t, http.MethodGet, "/api/v1/rules", "", &all)
		for _, r := range all.Rules {
			if r.Name == name {
				return r, true
			}
		}
		return alert.Rule{}, false
	}
	x.click("new rule", "#rule-new")
	x.set("rule-kind", "if_down")
	x.set("rule-name", "Uplink down")
	x.set("rule-severity", "critical")
	x.set("rule-scope-interfaces-names", "Gi0/[1")
	x.set("rule-scope-interfaces-aliases", "*uplink*, *WAN*")
	x.set("rule-scope-interfaces-roles", "uplink, wan")
	x.click("save", "#rule-save")
	x.fieldError("rule-scope-interfaces-names", "bad glob Gi0/[1: syntax error in pattern")
	x.shot("admin-rule-interface-scope-error")
	x.set("rule-scope-interfaces-names", "Gi0/*, Te1/0/?")
	x.click("create rule", "#rule-save")
	x.message("rule", "Created")
	r, ok := find("Uplink down")
	want := &alert.IfScope{Names: []string{"Gi0/*", "Te1/0/?"}, Aliases: []string{"*uplink*", "*WAN*"}, Roles: []string{"uplink", "wan"}}
	if !ok || r.Kind != alert.KindIfDown || r.Severity != alert.SeverityCritical || !cmp.Equal(r.Scope.Interfaces, want) {
		t.Errorf("if_down rule created in the browser: %+v (interfaces %+v), want interfaces %+v", r, r.Scope.Interfaces, want)
	}
	x.b.wait(x.ctx, "list shows the interface scope", `document.getElementById('rule-list').textContent.includes('interfaces: names Gi0/*, Te1/0/?; aliases *uplink*, *WAN*; roles uplink, wan')`, 5*time.Second)

	x.click("new rule", "#rule-new")
	x.set("rule-kind", "extra_oid")
	x.set("rule-name", "Chassis hot")
	x.set("rule-threshold", "60")
	x.click("save", "#rule-save")
	x.b.wait(x.ctx, "OID name error", `document.getElementById('rule-oid_name-error').textContent !== '' &&
		document.querySelector('label[data-field="metric"]').hidden`, 10*time.Second)
	t.Logf("extra OID rule without a name: %q", eval[string](x.b, x.ctx, `document.getElementById('rule-oid_name-error').textContent`))
	x.set("rule-oid_name", "temp")
	x.click("create rule", "#rule-save")
	x.message("rule", "Created")
	r, ok = find("Chassis hot")
	if !ok || r.Kind != alert.KindExtraOID || r.Metric != "temp" || r.Threshold != 60 || r.Op != alert.OpGE {
		t.Errorf("extra_oid rule created in the browser: %+v", r)
	}
	x.b.wait(x.ctx, "list shows the OID", `document.getElementById('rule-list').textContent.includes('OID temp')`, 5*time.Second)
}

func (x *admin) users() {
	t := x.t
	x.open("#/admin/users", `!!document.getElementById('user-form') && document.getElementById('user-list').textContent.includes('noc-admin (you)')`)
	x.b.do(x.ctx, "type user", chromedp.SendKeys(chromedp.CSS("#user-username"), "night-viewer"),
		chromedp.SendKeys(chromedp.CSS("#user-password"), "night shift password"))
	x.set("user-role", "viewer")
	x.set("user-scope-regions", "North, Coast") // a scoped viewer: the scope fields show for viewers
	x.click("create user", "#user-save")
	x.message("user", "Created")
	var users struct {
		Users []auth.UserView `json:"users"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/users", "", &users)
	var u auth.UserView
	for _, uu := range users.Users {
		if uu.Username == "night-viewer" {
			u = uu
		}
	}
	if u.ID == 0 || u.Role != "viewer" || u.Disabled || !slices.Equal(u.Scope.Regions, []string{"Coast", "North"}) || len(u.Scope.Branches) != 0 {
		t.Fatalf("user created in the browser: %+v, want night-viewer, viewer, enabled, scoped to regions Coast and North", u)
	}
	x.b.wait(x.ctx, "scope in the user list", `document.getElementById('user-list').textContent.includes('regions Coast, North')`, 5*time.Second)

	// an API token for the new user: its secret is shown once, works, and stops at revocation
	x.b.wait(x.ctx, "user in the token form", fmt.Sprintf(`!!document.querySelector('#token-user option[value="%d"]')`, u.ID), 5*time.Second)
	x.set("token-name", "grafana")
	x.set("token-role", "viewer")
	x.set("token-user", fmt.Sprint(u.ID))
	x.click("create token", "#token-create")
	x.b.wait(x.ctx, "token shown", `document.getElementById('token-secret')?.textContent.length > 20`, 10*time.Second)
	secret := eval[string](x.b, x.ctx, `document.getElementById('token-secret').textContent`)
	x.shot("admin-users")
	if code := x.front.bearer(t, secret, "/api/v1/rules"); code != http.StatusOK {
		t.Errorf("GET /rules with the token shown in the browser: HTTP %d, want 200", code)
	}
	var tokens struct {
		Tokens []auth.TokenView `json:"tokens"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/tokens", "", &tokens)
	var tok auth.TokenView
	for _, tt := range tokens.Tokens {
		if tt.Name == "grafana" {
			tok = tt
		}
	}
	if tok.UserID != u.ID || tok.Role != "viewer" || !tok.Active {
		t.Fatalf("token grafana after creating it: %+v, want night-viewer's, viewer, active", tok)
	}
	row := fmt.Sprintf(`#token-list tr[data-id="%d"]`, tok.ID)
	x.confirm(row+` button[data-act="revoke"]`, func() bool { return x.front.bearer(t, secret, "/api/v1/rules") == http.StatusOK })
	x.b.wait(x.ctx, "token revoked", fmt.Sprintf(`document.querySelector('%s')?.textContent.includes('revoked')`, row), 10*time.Second)
	if code := x.front.bearer(t, secret, "/api/v1/rules"); code != http.StatusUnauthorized {
		t.Errorf("GET /rules with the revoked token: HTTP %d, want 401", code)
	}
}

// asViewer signs in as the viewer made above: the lists are there, the write controls are not.
func (x *admin) asViewer() {
	t, b, ctx := x.t, x.b, x.ctx
	// sign-out reloads the page, which a poll would not survive: wait for the form of the new page
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	b.do(wctx, "sign out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-user")))
	x.signIn("night-viewer", "night shift password", "night-viewer (viewer · region Coast, region North)")
	b.wait(ctx, "rules read-only", `[...document.querySelectorAll('#rule-list tbody tr')].some((r) => r.textContent.includes('RTT high'))`, 10*time.Second)
	got := eval[[]string](b, ctx, `[...document.querySelectorAll('#admin-tabs a')].map((a) => a.dataset.tab)`)
	if diff := cmp.Diff([]string{"rules", "maintenance", "channels", "places", "profiles", "schedule"}, got); diff != "" {
		t.Errorf("admin tabs of a viewer (-want +got):\n%s", diff)
	}
	for _, hash := range []string{"#/admin/rules", "#/admin/maintenance", "#/admin/channels"} {
		b.do(ctx, "open "+hash, chromedp.Navigate(x.front.URL()+"/"+hash))
		b.wait(ctx, hash+" read-only", `!!document.querySelector('.read-only') && !document.querySelector('#admin-tab .table-wrap p.muted')?.textContent.includes('loading')`, 10*time.Second)
		if n := eval[int](b, ctx, `document.querySelectorAll('#admin-tab form, #admin-tab button').length`); n != 0 {
			t.Errorf("%s: a viewer sees %d forms and buttons, want none", hash, n)
		}
	}
	x.shot("admin-viewer")
	b.do(ctx, "open users", chromedp.Navigate(x.front.URL()+"/#/admin/users"))
	b.wait(ctx, "users refused", `document.getElementById('admin-tab')?.textContent === 'Your role may not see this tab.'`, 10*time.Second)
}

// do sends a request to the front API with the harness's admin token and decodes the answer
// into v (when not nil), returning the status code.
func (f *front) do(t testing.TB, method, path, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, f.URL()+path, strings.NewReader(body))
	testenv.Must(t, "build request", err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+f.sys.Token)
	resp, err := apiClient.Do(req)
	testenv.Must(t, method+" "+path, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	testenv.Must(t, "read answer", err)
	if v != nil && resp.StatusCode < 300 {
		testenv.Must(t, "decode "+path, json.Unmarshal(raw, v))
	}
	return resp.StatusCode
}

// bearer GETs path with token and returns the status code.
func (f *front) bearer(t testing.TB, token, path string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.URL()+path, nil)
	testenv.Must(t, "build request", err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := apiClient.Do(req)
	testenv.Must(t, "GET "+path, err)
	resp.Body.Close()
	return resp.StatusCode
}

// webhook is a local endpoint that records what a webhook channel posts.
type webhook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sig  string
	key  string // X-Api-Key
	body []byte
}

func newWebhook(t testing.TB) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.sig, w.key, w.body = r.Header.Get(notify.HeaderSignature), r.Header.Get("X-Api-Key"), body
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// last is the signature header and body of the last request.
func (w *webhook) last() (string, []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sig, w.body
}
