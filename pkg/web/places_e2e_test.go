package web_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/harness"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/testenv"
)

// TestProfileAndBranchEditors drives the profile and branch editors in headless chromium,
// checking each write through the API: a profile is refused by the API for a loss threshold of
// 150 % (the error beside its field), then created with a v2c community that no answer shows
// (the form says "set"); a region and a branch in it are created, the branch refused first for
// a time zone that is not IANA, then saved with the new profile as its default — and a device
// created in that branch is monitored with it.
func TestProfileAndBranchEditors(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	svc, err := snmp.New(snmp.Params{Devices: sys.Store, Store: sys.Store, Secrets: box})
	testenv.Must(t, "snmp service", err)
	x := &admin{t: t, sys: sys}
	x.front = startFront(t, sys, nil, func(f *front) { f.profileSNMP = svc })
	authtest.User(t, sys.Auth, "noc-admin", auth.RoleAdmin)
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("noc-admin", authtest.Password, "noc-admin (admin)")

	x.open("#/admin/profiles", `!!document.querySelector('#prof-list tr[data-id]') && !!document.getElementById('prof-form')`)
	x.b.do(x.ctx, "type name", chromedp.SendKeys(chromedp.CSS("#prof-name"), "lossy-wan"))
	x.set("prof-device_types", "atm")
	x.set("prof-ping_count", "10")
	x.set("prof-ping_interval_ms", "20")
	x.set("prof-degraded_loss_pct", "150")
	x.set("prof-snmp-version", "2c")
	x.set("prof-snmp-community", "s3cret-comm")
	x.set("prof-snmp-extra_oids", `[{"name":"temp","oid":"1.3.6.1.4.1.9.9.13.1.3.1.3"}]`)
	x.click("create profile", "#prof-save")
	x.fieldError("prof-degraded_loss_pct", "degraded_loss_pct must be from 0 (any loss) to below 100 (100 % loss is down)")
	x.set("prof-degraded_loss_pct", "34")
	x.click("create profile", "#prof-save")
	x.message("prof", "Created lossy-wan")
	var profs struct {
		Profiles []struct {
			ID              int64    `json:"id"`
			Name            string   `json:"name"`
			PingCount       int      `json:"ping_count"`
			DegradedLossPct float64  `json:"degraded_loss_pct"`
			DeviceTypes     []string `json:"device_types"`
			SNMP            *struct {
				Credentials *struct {
					Version      string `json:"version"`
					CommunitySet bool   `json:"community_set"`
				} `json:"credentials"`
				ExtraOIDs []struct{ Name string } `json:"extra_oids"`
			} `json:"snmp"`
		} `json:"profiles"`
	}
	x.front.do(t, http.MethodGet, "/api/v1/profiles", "", &profs)
	p := profs.Profiles[len(profs.Profiles)-1]
	if p.Name != "lossy-wan" || p.PingCount != 10 || p.DegradedLossPct != 34 || len(p.DeviceTypes) != 1 || p.SNMP == nil ||
		p.SNMP.Credentials == nil || !p.SNMP.Credentials.CommunitySet || len(p.SNMP.ExtraOIDs) != 1 {
		t.Fatalf("profile created in the browser: %+v", p)
	}
	x.b.wait(x.ctx, "community shown as set", `document.getElementById('prof-snmp-community').placeholder === 'set (type to replace)' &&
		document.getElementById('prof-snmp-community').value === ''`, 5*time.Second)
	if html := eval[string](x.b, x.ctx, `document.body.innerHTML`); strings.Contains(html, "s3cret-comm") {
		t.Errorf("the page shows the community after the save")
	}
	x.shot("admin-profiles")

	x.open("#/admin/places", `!!document.getElementById('reg-form') && !!document.getElementById('br-form')`)
	x.b.do(x.ctx, "type region", chromedp.SendKeys(chromedp.CSS("#reg-name"), "North"))
	x.click("create region", "#reg-save")
	x.message("reg", "Created North")
	x.b.do(x.ctx, "type branch", chromedp.SendKeys(chromedp.CSS("#br-name"), "Olten"))
	x.set("br-region", "north")
	x.set("br-address", "Bahnhofplatz 1, 4600 Olten")
	x.set("br-latitude", "47.35")
	x.set("br-longitude", "7.9")
	x.set("br-isp", "Swisscom")
	x.set("br-circuit_id", "CH-OLT-0042")
	x.set("br-time_zone", "Europe/Olten")
	x.set("br-profile_id", fmt.Sprint(p.ID))
	x.click("create branch", "#br-save")
	x.fieldError("br-time_zone", `time_zone "Europe/Olten" is not an IANA time zone name (e.g. Europe/Zurich, UTC)`)
	x.set("br-time_zone", "Europe/Zurich")
	x.click("create branch", "#br-save")
	x.message("br", "Created Olten")
	x.b.wait(x.ctx, "region counts the branch", `[...document.querySelectorAll('#reg-list tr[data-id]')].some((tr) => tr.textContent.startsWith('North1'))`, 5*time.Second)
	var dev struct {
		Region             string `json:"region"`
		EffectiveProfileID *int64 `json:"effective_profile_id"`
	}
	if code := x.front.do(t, http.MethodPost, "/api/v1/devices", `{"name":"olt-rtr","ip":"127.62.1.1","branch":"olten"}`, &dev); code != http.StatusCreated {
		t.Fatalf("create device in the new branch: HTTP %d", code)
	}
	if dev.Region != "North" || dev.EffectiveProfileID == nil || *dev.EffectiveProfileID != p.ID {
		t.Errorf("device in Olten: region %q, effective profile %v, want North and %d", dev.Region, dev.EffectiveProfileID, p.ID)
	}
	x.open("#/admin/places", `[...document.querySelectorAll('#br-list tr[data-id]')].some((tr) => tr.textContent.includes('Swisscom · CH-OLT-0042'))`)
	x.shot("admin-places")
}
