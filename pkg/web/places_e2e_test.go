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
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
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

// TestProfileSNMPErrorsBesideFields: the API's errors about a profile's SNMP settings
// (snmp.credentials.community, .port, .timeout_ms, .auth_password, snmp.extra_oids[0].oid)
// each show beside the input that edits the setting, which gets the focus, instead of under
// the form; the message under the form names the field; once fixed, the profile is created.
func TestProfileSNMPErrorsBesideFields(t *testing.T) {
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
	x.open("#/admin/profiles", `!!document.getElementById('prof-form')`)

	// besideOnly checks that id's input has the error text and the focus, and no other field
	// of the form is marked
	besideOnly := func(id, text, label string) {
		t.Helper()
		x.fieldError(id, text)
		if got := eval[string](x.b, x.ctx, `document.activeElement ? document.activeElement.id : ''`); got != id {
			t.Errorf("focus on %q after the %s error, want %q", got, id, id)
		}
		if n := eval[int](x.b, x.ctx, `document.querySelectorAll('#prof-form label.invalid').length`); n != 1 {
			t.Errorf("%d fields marked invalid for the %s error, want 1", n, id)
		}
		x.message("prof", "Not saved: "+label+" — ")
	}
	x.b.do(x.ctx, "type name", chromedp.SendKeys(chromedp.CSS("#prof-name"), "branch-snmp"))
	x.set("prof-snmp-version", "2c")
	x.click("save without community", "#prof-save")
	besideOnly("prof-snmp-community", "is required for SNMPv2c", "Community")

	x.set("prof-snmp-community", "n0c-c0mm")
	x.set("prof-snmp-port", "70000")
	x.click("save with port 70000", "#prof-save")
	besideOnly("prof-snmp-port", "must be between 1 and 65535", "Port")
	x.shot("admin-profile-snmp-port-error")

	x.set("prof-snmp-port", "1161")
	x.set("prof-snmp-timeout_ms", "5")
	x.click("save with a 5 ms timeout", "#prof-save")
	besideOnly("prof-snmp-timeout_ms", "must be between 100 and 60000", "SNMP timeout (ms)")

	x.set("prof-snmp-timeout_ms", "")
	x.set("prof-snmp-version", "3")
	x.set("prof-snmp-username", "monitor")
	x.set("prof-snmp-security_level", "authNoPriv")
	x.set("prof-snmp-auth_protocol", "SHA-256")
	x.set("prof-snmp-auth_password", "short")
	x.click("save with a short auth password", "#prof-save")
	besideOnly("prof-snmp-auth_password", "must be at least 8 characters", "Auth password")

	x.set("prof-snmp-auth_password", "long-enough-pass")
	x.set("prof-snmp-extra_oids", `[{"name":"temp","oid":"not-an-oid"}]`)
	x.click("save with a bad OID", "#prof-save")
	x.b.wait(x.ctx, "OID error beside the OIDs", `document.getElementById('prof-snmp-extra_oids-error').textContent.startsWith('extra_oids[0].oid: ') &&
		document.activeElement.id === 'prof-snmp-extra_oids'`, 10*time.Second)

	x.set("prof-snmp-extra_oids", `[{"name":"temp","oid":"1.3.6.1.4.1.9.9.13.1.3.1.3"}]`)
	x.click("save", "#prof-save")
	x.message("prof", "Created branch-snmp")
	if n := eval[int](x.b, x.ctx, `document.querySelectorAll('#prof-form label.invalid').length`); n != 0 {
		t.Errorf("%d fields still marked invalid after the save", n)
	}
}

// TestInterfaceRoleEditor sets interface roles on the device page in headless chromium: an
// admin sees each interface's role (one derived from its alias by the branch profile's role
// pattern, marked "from alias"), refuses a role with spaces in the page, sets "uplink" on
// another port (stored: the API answers it as set), and clears the derived port's set role
// back to the derived one; a port never up since discovery says so; a viewer sees the roles
// without the edit buttons.
func TestInterfaceRoleEditor(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	svc, err := snmp.New(snmp.Params{Devices: sys.Store, Store: sys.Store, Secrets: box})
	testenv.Must(t, "snmp service", err)
	x := &admin{t: t, sys: sys}
	x.front = startFront(t, sys, nil, func(f *front) { f.profileSNMP, f.snmp = svc, svc })
	authtest.User(t, sys.Auth, "noc-admin", auth.RoleAdmin)
	authtest.User(t, sys.Auth, "noc-viewer", auth.RoleViewer)

	var prof struct{ ID int64 }
	if code := x.front.do(t, http.MethodPost, "/api/v1/profiles", `{"name":"branch-sw","role_alias_pattern":"^\\[(\\w+)\\]"}`, &prof); code != http.StatusCreated {
		t.Fatalf("create profile: HTTP %d", code)
	}
	var dev struct{ ID int64 }
	if code := x.front.do(t, http.MethodPost, "/api/v1/devices", fmt.Sprintf(`{"name":"olt-sw-01","ip":"127.62.2.1","type":"switch","profile_id":%d,"enabled":false}`, prof.ID), &dev); code != http.StatusCreated {
		t.Fatalf("create device: HTTP %d", code)
	}
	// three interfaces as the poller stores them: an uplink by alias, an access port, and a
	// port never up since discovery
	_, err = sys.Store.Pool().Exec(t.Context(), `INSERT INTO snmp_interfaces (device_id, if_index, name, alias, admin_status, oper_status, speed_bps, polled_at, seen_up)
		VALUES ($1, 1, 'Gi0/1', '[wan] ISP circuit KZ-0042', 'up', 'up', 1000000000, now(), true),
		       ($1, 2, 'Gi0/2', 'teller desk 3', 'up', 'up', 100000000, now(), true),
		       ($1, 3, 'Gi0/3', '', 'up', 'down', 0, now(), false)`, dev.ID)
	testenv.Must(t, "insert interfaces", err)

	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("noc-admin", authtest.Password, "noc-admin (admin)")
	role := func(idx int) string {
		return fmt.Sprintf(`((document.querySelector('#if-table .if-role[data-ifindex="%d"]') || {}).textContent || '')`, idx)
	}
	x.open(fmt.Sprintf("#/devices/%d", dev.ID), `!!document.querySelector('#if-table .if-role[data-ifindex="3"]')`)
	if got := eval[string](x.b, x.ctx, role(1)); !strings.HasPrefix(got, "wan · from alias") {
		t.Errorf("Gi0/1 role cell %q, want the derived wan · from alias", got)
	}
	if got := eval[string](x.b, x.ctx, `document.querySelector('#if-table tbody tr:nth-child(3)').textContent`); !strings.Contains(got, "down (never up)") {
		t.Errorf("Gi0/3 row %q, want it marked never up", got)
	}

	// a role with a space is refused by the page; "uplink" is saved
	x.click("edit Gi0/2", `#if-table .if-role[data-ifindex="2"] .if-role-edit`)
	x.b.do(x.ctx, "type role", chromedp.SendKeys(chromedp.CSS(`#if-table .if-role[data-ifindex="2"] input`), "up link"))
	x.click("save Gi0/2", `#if-table .if-role[data-ifindex="2"] .if-role-save`)
	x.b.wait(x.ctx, "refused in the page", role(2)+`.includes('a-z, 0-9, _ and - only')`, 5*time.Second)
	x.b.do(x.ctx, "retype role", chromedp.SetValue(chromedp.CSS(`#if-table .if-role[data-ifindex="2"] input`), "uplink"))
	x.click("save Gi0/2", `#if-table .if-role[data-ifindex="2"] .if-role-save`)
	x.b.wait(x.ctx, "uplink shown", role(2)+`.startsWith('uplink')`, 5*time.Second)

	// set wan on Gi0/1 by hand, then clear it: the derived role is back
	x.click("edit Gi0/1", `#if-table .if-role[data-ifindex="1"] .if-role-edit`)
	x.b.do(x.ctx, "type role", chromedp.SetValue(chromedp.CSS(`#if-table .if-role[data-ifindex="1"] input`), "core"))
	x.click("save Gi0/1", `#if-table .if-role[data-ifindex="1"] .if-role-save`)
	x.b.wait(x.ctx, "core shown as set", role(1)+`.startsWith('core') && !`+role(1)+`.includes('from alias')`, 5*time.Second)
	x.click("edit Gi0/1", `#if-table .if-role[data-ifindex="1"] .if-role-edit`)
	x.click("clear Gi0/1", `#if-table .if-role[data-ifindex="1"] .if-role-clear`)
	x.b.wait(x.ctx, "derived role back", role(1)+`.startsWith('wan · from alias')`, 5*time.Second)
	x.shot("device-interface-roles")

	var ifs struct {
		Interfaces []struct {
			IfIndex    int    `json:"if_index"`
			Role       string `json:"role"`
			RoleSource string `json:"role_source"`
			SeenUp     bool   `json:"seen_up"`
		} `json:"interfaces"`
	}
	x.front.do(t, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d/interfaces", dev.ID), "", &ifs)
	got := fmt.Sprint(ifs.Interfaces)
	if want := "[{1 wan alias true} {2 uplink set true} {3   false}]"; got != want {
		t.Errorf("interfaces after the edits: %s, want %s", got, want)
	}

	// a viewer sees the roles, not the edit buttons
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("noc-viewer", authtest.Password, "noc-viewer (viewer)")
	x.open(fmt.Sprintf("#/devices/%d", dev.ID), `!!document.querySelector('#if-table .if-role[data-ifindex="2"]')`)
	if n := eval[int](x.b, x.ctx, `document.querySelectorAll('#if-table .if-role-edit').length`); n != 0 {
		t.Errorf("a viewer sees %d role edit buttons", n)
	}
	if got := eval[string](x.b, x.ctx, role(2)); !strings.HasPrefix(got, "uplink") {
		t.Errorf("viewer: Gi0/2 role %q", got)
	}
}
