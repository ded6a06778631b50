package web_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/testinfra/harness"
)

// TestScopedOverview signs in a viewer scoped to region north in a real browser: the header
// names the scope, and the overview's counters and branch tiles hold only the devices of
// region north (the standalone list it is built from is cut to the scope by the API).
func TestScopedOverview(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	x := &admin{t: t, sys: sys}
	x.front = startFront(t, sys, nil)
	for i, d := range []struct{ region, branch string }{{"north", "BR-1"}, {"north", "BR-1"}, {"north", "BR-2"}, {"south", "BR-9"}, {"south", "BR-8"}} {
		body := fmt.Sprintf(`{"name":"dev-%d","ip":"127.63.0.%d","branch":%q,"region":%q,"type":"router"}`, i, i+1, d.branch, d.region)
		x.front.place(t, d.branch, d.region)
		if code := x.front.do(t, http.MethodPost, "/api/v1/devices", body, nil); code != http.StatusCreated {
			t.Fatalf("create device: HTTP %d", code)
		}
	}
	authtest.ScopedUser(t, sys.Auth, "north-viewer", auth.RoleViewer, auth.Scope{Regions: []string{"north"}})
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("north-viewer", authtest.Password, "north-viewer (viewer · region north)")
	x.b.do(x.ctx, "open overview", chromedp.Navigate(x.front.URL()+"/"))
	x.b.wait(x.ctx, "overview rendered", `document.body.dataset.rendered === '1' && document.getElementById('live').dataset.state === 'live'`, 15*time.Second)
	total := eval[int](x.b, x.ctx, `Number(document.querySelector('#counts .count.total .count-n').textContent.replace(/\D/g, ''))`)
	tiles := eval[[]string](x.b, x.ctx, `[...document.querySelectorAll('.tile')].map((t) => t.querySelector('.tile-name')?.textContent || t.textContent.trim().split(/\s/)[0]).sort()`)
	if total != 3 {
		t.Errorf("overview total %d, want the 3 devices of region north", total)
	}
	if diff := cmp.Diff([]string{"BR-1", "BR-2"}, tiles); diff != "" {
		t.Errorf("branch tiles (-want +got):\n%s", diff)
	}
	x.shot("overview-scoped")
}
