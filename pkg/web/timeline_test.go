package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestTimelineOnOverview (issue 14 point 6): the overview's "What changed" lists the last
// hour's status changes and alert events newest first, its filters live in the address and
// survive a reload, and a status change arriving live shows at the top without a reload.
func TestTimelineOnOverview(t *testing.T) {
	x := startTriage(t)
	x.base = time.Now().UTC().Add(-20 * time.Minute) // the story of this test happened in the last hour
	x.device("br1-router", "BR-1", "east", "router", "")
	x.device("br1-atm-01", "BR-1", "east", "atm", "br1-router")
	x.device("br2-sw-01", "BR-2", "west", "switch", "")
	x.set(map[string]string{"br1-router": "up", "br1-atm-01": "up", "br2-sw-01": "up"})
	x.set(map[string]string{"br1-router": "down"})
	x.set(map[string]string{"br1-atm-01": "down"}) // behind the router: unreachable, as the dashboard says
	ctx := testenv.Ctx(t, 10*time.Second)
	id := x.alert("br1-router", "device_down", "critical", "", "br1-router is down", "acknowledged", x.base.Add(3*time.Second))
	_, err := x.sys.Store.Pool().Exec(ctx, `INSERT INTO alert_events (alert_id, at, kind, from_state, to_state, actor, comment) VALUES
		($1, $2, 'fired', '', 'firing', '', ''), ($1, $3, 'acknowledged', 'firing', 'acknowledged', 'noc', 'carrier ticket 4411')`,
		id, x.base.Add(3*time.Second), time.Now().UTC().Add(-time.Minute))
	testenv.Must(t, "alert events", err)
	// an event from before the hour stays out
	_, err = x.sys.Store.Pool().Exec(ctx, `INSERT INTO device_events (device_id, at, kind, from_status, to_status) VALUES ($1, now() - interval '2 hours', 'status', 'down', 'up')`, x.ids["br2-sw-01"])
	testenv.Must(t, "old event", err)

	x.overview("")
	b, bctx := x.b, x.ctx
	b.wait(bctx, "timeline drawn", `document.querySelectorAll('#timeline-rows li').length >= 5`, 10*time.Second)
	lines := func() []string {
		return eval[[]string](b, bctx, `[...document.querySelectorAll('#timeline-rows li')].map((l) => l.dataset.source + ' ' + l.innerText.replace(/\s+/g, ' '))`)
	}
	got := lines()
	if !strings.HasPrefix(got[0], "alert ") || !strings.Contains(got[0], "br1-router") || !strings.Contains(got[0], "acknowledged by noc") || !strings.Contains(got[0], "carrier ticket 4411") {
		t.Errorf("newest line %q, want the acknowledgement by noc", got[0])
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "br1-router Up → Down") {
		t.Errorf("timeline lacks the router going down:\n%s", joined)
	}
	if !strings.Contains(joined, "br1-atm-01 Up → Unreachable — behind br1-router") {
		t.Errorf("timeline says the atm behind the down router is down, not unreachable:\n%s", joined)
	}
	if strings.Count(joined, "br2-sw-01") != 1 {
		t.Errorf("br2-sw-01 should have one change in the last hour (its first status):\n%s", joined)
	}
	eval[bool](b, bctx, `(() => { document.getElementById('timeline').scrollIntoView(); return true; })()`)
	x.view(bctx, "timeline", 1440, 900)

	// alerts only: in the address, kept over a reload
	pick := func(sel, value string) {
		eval[bool](b, bctx, fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, sel, value))
	}
	pick("#timeline-source", "alert")
	b.wait(bctx, "alerts only", `[...document.querySelectorAll('#timeline-rows li')].every((l) => l.dataset.source === 'alert') && document.querySelectorAll('#timeline-rows li').length === 2`, 5*time.Second)
	if h := eval[string](b, bctx, `location.hash`); !strings.Contains(h, "tl=alert") {
		t.Errorf("address %q lacks the filter", h)
	}
	b.do(bctx, "reload", chromedp.Reload())
	b.wait(bctx, "filter kept", `document.getElementById('timeline-source')?.value === 'alert' && document.querySelectorAll('#timeline-rows li').length === 2`, 15*time.Second)

	// text, then a live change at the top
	pick("#timeline-source", "")
	b.do(bctx, "type filter", chromedp.SendKeys(chromedp.CSS("#timeline-q"), "br2-sw"))
	b.wait(bctx, "text filter", `document.querySelectorAll('#timeline-rows li').length === 1`, 5*time.Second)
	x.set(map[string]string{"br2-sw-01": "down"})
	b.wait(bctx, "live change on top", `(document.querySelector('#timeline-rows li')?.innerText || '').replace(/\s+/g, ' ').includes('br2-sw-01 Up → Down')`, 15*time.Second)
}

// TestDisplayWall (issue 14 point 5): a room screen opened at #/wall?display=<token> signs in
// with a display token, drops the secret from the address, stays on the wall (other pages and
// Esc lead back to it), and is signed out at once when the token is revoked.
func TestDisplayWall(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	seedBranches(t, sys, 60)
	f := startFront(t, sys, nil)
	var created struct {
		Token struct {
			ID int64 `json:"id"`
		} `json:"token"`
		Secret string `json:"secret"`
	}
	if code := f.do(t, http.MethodPost, "/api/v1/tokens", `{"name":"NOC room wall","role":"viewer","purpose":"display"}`, &created); code != http.StatusCreated {
		t.Fatalf("create display token: %d", code)
	}
	br := newBrowser(t)
	ctx := br.ctx
	br.do(ctx, "open the wall link", chromedp.Navigate(f.URL()+"/#/wall?display="+created.Secret))
	br.wait(ctx, "wall shown", `document.body.classList.contains('wall') && document.body.classList.contains('display') && document.querySelectorAll('.tile').length === 10`, 15*time.Second)
	if h := eval[string](br, ctx, `location.href`); strings.Contains(h, created.Secret) {
		t.Errorf("the secret stayed in the address: %s", h)
	}
	br.do(ctx, "viewport", chromedp.EmulateViewport(1920, 1080))
	br.shot(ctx, "display-wall-1920x1080")

	eval[bool](br, ctx, `(location.hash = '#/devices') && true`)
	br.wait(ctx, "back on the wall", `location.hash === '#/wall' && document.querySelectorAll('.tile').length === 10`, 5*time.Second)
	eval[bool](br, ctx, `document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'})) || true`)
	time.Sleep(500 * time.Millisecond)
	if h := eval[string](br, ctx, `location.hash`); h != "#/wall" {
		t.Errorf("Esc on a display screen went to %q", h)
	}

	if code := f.do(t, http.MethodDelete, fmt.Sprintf("/api/v1/tokens/%d", created.Token.ID), "", nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	br.wait(ctx, "signed out", `!document.getElementById('login').hidden && document.getElementById('login-error').textContent.includes('display token was revoked')`, 15*time.Second)
	br.shot(ctx, "display-wall-revoked")
}
