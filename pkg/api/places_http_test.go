package api_test

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestPlacesAPI: regions and branches are created, read, renamed and deleted; bad fields are
// 400 naming the field; a device naming an unknown branch or region is refused with a message
// saying how to create it; a device takes its branch's region; viewers read and cannot write.
func TestPlacesAPI(t *testing.T) {
	sys := startAPI(t)
	a := jsonCall(t, sys, http.MethodPost, "/api/v1/regions", `{"name":"North","description":"Zurich area"}`)
	var north store.Region
	a.decode(t, &north)
	if a.Status != http.StatusCreated || north.ID == 0 {
		t.Fatalf("create region: HTTP %d %s", a.Status, a.Body)
	}
	a = jsonCall(t, sys, http.MethodPost, "/api/v1/branches", `{"name":"Zurich HQ","region":"north","address":"Bahnhofstrasse 1",
		"latitude":47.37,"longitude":8.54,"isp":"Swisscom","circuit_id":"CH-123","contacts":"noc@bank.test","time_zone":"Europe/Zurich"}`)
	var hq store.Branch
	a.decode(t, &hq)
	if a.Status != http.StatusCreated || hq.Region != "North" || hq.RegionID == nil || *hq.RegionID != north.ID || hq.TimeZone != "Europe/Zurich" {
		t.Fatalf("create branch: HTTP %d %s", a.Status, a.Body)
	}
	errCases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"region without a name", http.MethodPost, "/api/v1/regions", `{"description":"x"}`, 400, "invalid_name", "name"},
		{"region name in another case", http.MethodPost, "/api/v1/regions", `{"name":"NORTH"}`, 409, "conflict", "name"},
		{"branch in an unknown region", http.MethodPost, "/api/v1/branches", `{"name":"B","region":"Nrth"}`, 400, "invalid_region", "region"},
		{"time zone not IANA", http.MethodPost, "/api/v1/branches", `{"name":"B","time_zone":"Mars/Olympus"}`, 400, "invalid_time_zone", "time_zone"},
		{"latitude out of range", http.MethodPost, "/api/v1/branches", `{"name":"B","latitude":91,"longitude":0}`, 400, "invalid_latitude", "latitude"},
		{"latitude without longitude", http.MethodPost, "/api/v1/branches", `{"name":"B","latitude":45}`, 400, "invalid_latitude", "latitude"},
		{"latitude not a number", http.MethodPost, "/api/v1/branches", `{"name":"B","latitude":"x","longitude":1}`, 400, "invalid_field", "latitude"},
		{"branch twice in a region", http.MethodPost, "/api/v1/branches", `{"name":"zurich hq","region":"North"}`, 409, "conflict", "name"},
		{"unknown profile", http.MethodPatch, fmt.Sprintf("/api/v1/branches/%d", hq.ID), `{"profile_id":99999}`, 400, "invalid_reference", "profile_id"},
		{"device in an unknown branch", http.MethodPost, "/api/v1/devices", `{"name":"d","ip":"127.55.0.9","branch":"Zurich HQQ"}`, 400, "invalid_reference", "branch"},
		{"device in an unknown region", http.MethodPost, "/api/v1/devices", `{"name":"d","ip":"127.55.0.9","region":"Sotuh"}`, 400, "invalid_reference", "region"},
		{"delete a region with branches", http.MethodDelete, fmt.Sprintf("/api/v1/regions/%d", north.ID), "", 409, "conflict", ""},
		{"missing branch", http.MethodGet, "/api/v1/branches/999999", "", 404, "not_found", ""},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			jsonCall(t, sys, tc.method, tc.path, tc.body).wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
	a = jsonCall(t, sys, http.MethodPost, "/api/v1/devices", `{"name":"d","ip":"127.55.0.9","branch":"Zurich HQQ"}`)
	if msg := a.Err.Error; msg == nil || !strings.Contains(msg.Message, "POST /api/v1/branches") || !strings.Contains(msg.Message, "api branch create") {
		t.Errorf("unknown branch message %s: want how to create it", a.Body)
	}
	dev := createDevice(t, sys, `{"name":"hq-rtr","ip":"127.55.0.1","branch":"zurich hq"}`)
	if dev.Branch != "Zurich HQ" || dev.Region != "North" || dev.BranchID == nil || *dev.BranchID != hq.ID {
		t.Errorf("device placed at %q/%q (%v), want North/Zurich HQ", dev.Region, dev.Branch, dev.BranchID)
	}
	// a device moved to a branch of another region takes that region
	seedPlaces(t, sys, "South/Lugano")
	a = jsonCall(t, sys, http.MethodPatch, fmt.Sprintf("/api/v1/devices/%d", dev.ID), `{"branch":"LUGANO"}`)
	var moved deviceView
	a.decode(t, &moved)
	if a.Status != http.StatusOK || moved.Branch != "Lugano" || moved.Region != "South" {
		t.Errorf("move: HTTP %d, placed at %q/%q, want South/Lugano", a.Status, moved.Region, moved.Branch)
	}
	jsonCall(t, sys, http.MethodPatch, fmt.Sprintf("/api/v1/devices/%d", dev.ID), `{"branch":"Zurich HQ"}`)
	// a rename reaches the device
	a = jsonCall(t, sys, http.MethodPatch, fmt.Sprintf("/api/v1/regions/%d", north.ID), `{"name":"Nord"}`)
	if a.Status != http.StatusOK {
		t.Fatalf("rename region: HTTP %d %s", a.Status, a.Body)
	}
	var got deviceView
	jsonCall(t, sys, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d", dev.ID), "").decode(t, &got)
	if got.Region != "Nord" {
		t.Errorf("device region after the rename %q, want Nord", got.Region)
	}
	viewer := authtest.Token(t, sys.Auth, auth.RoleViewer)
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/regions", `{"name":"V"}`},
		{http.MethodPatch, fmt.Sprintf("/api/v1/branches/%d", hq.ID), `{"isp":"x"}`},
		{http.MethodDelete, fmt.Sprintf("/api/v1/branches/%d", hq.ID), ""},
		{http.MethodPost, "/api/v1/profiles", `{"name":"V"}`},
	} {
		if code, body := as(t, sys.URL, viewer, w.method, w.path, w.body); code != http.StatusForbidden {
			t.Errorf("viewer %s %s: HTTP %d %s, want 403", w.method, w.path, code, body)
		}
	}
	for _, path := range []string{"/api/v1/regions", "/api/v1/branches", "/api/v1/profiles", fmt.Sprintf("/api/v1/branches/%d", hq.ID)} {
		if code, body := as(t, sys.URL, viewer, http.MethodGet, path, ""); code != http.StatusOK {
			t.Errorf("viewer GET %s: HTTP %d %s", path, code, body)
		}
	}
	if a := jsonCall(t, sys, http.MethodDelete, fmt.Sprintf("/api/v1/devices/%d", dev.ID), ""); a.Status != http.StatusNoContent {
		t.Fatalf("delete device: HTTP %d", a.Status)
	}
	if a := jsonCall(t, sys, http.MethodDelete, fmt.Sprintf("/api/v1/branches/%d", hq.ID), ""); a.Status != http.StatusNoContent {
		t.Errorf("delete empty branch: HTTP %d %s", a.Status, a.Body)
	}
}

// profileView is a profile as the API answers it.
type profileView struct {
	store.Profile
	SNMP *snmp.ProfileSettings `json:"snmp"`
}

// TestProfilesAPI: profiles are created with ping settings, SNMP credentials (write-only,
// sealed) and extra OIDs; validation errors name the field; a device's effective profile is
// its own, else its branch's, else its type's; a write drops the workers' profile cache.
func TestProfilesAPI(t *testing.T) {
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	sys := harness.Start(t, harness.Options{NoScheduler: true, ProfileSNMP: func(st *store.Store) api.ProfileSNMP {
		svc, err := snmp.New(snmp.Params{Devices: st, Store: st, Secrets: box})
		testenv.Must(t, "snmp service", err)
		return svc
	}})
	checkContract(t, sys.URL)
	ctx := t.Context()
	testenv.Must(t, "prime cache", sys.Redis.Set(ctx, cache.ProfilesKey, "[]", 0).Err())
	a := jsonCall(t, sys, http.MethodPost, "/api/v1/profiles", `{"name":"lossy-wan","ping_count":10,"ping_interval_ms":20,
		"ping_timeout_ms":2000,"degraded_loss_pct":35,"device_types":["atm"],
		"snmp":{"credentials":{"version":"2c","community":"s3cret-comm"},"extra_oids":[{"name":"temp","oid":"1.3.6.1.4.1.9.9.13.1.3.1.3"}]}}`)
	var p profileView
	a.decode(t, &p)
	if a.Status != http.StatusCreated || p.PingCount != 10 || p.DegradedLossPct != 35 || len(p.DeviceTypes) != 1 {
		t.Fatalf("create profile: HTTP %d %s", a.Status, a.Body)
	}
	if strings.Contains(string(a.Body), "s3cret-comm") || p.SNMP == nil || p.SNMP.Credentials == nil || len(p.SNMP.ExtraOIDs) != 1 {
		t.Errorf("create answer %s: want SNMP settings without the community", a.Body)
	}
	var sealed string
	testenv.Must(t, "read sealed", sys.Store.Pool().QueryRow(ctx, `SELECT community_sealed FROM profile_snmp WHERE profile_id = $1`, p.ID).Scan(&sealed))
	if sealed == "" || strings.Contains(sealed, "s3cret-comm") {
		t.Errorf("community stored as %q: want sealed", sealed)
	}
	if n, _ := sys.Redis.Exists(ctx, cache.ProfilesKey).Result(); n != 0 {
		t.Errorf("profile cache still set after a profile write")
	}
	// a patch without the community keeps it
	a = jsonCall(t, sys, http.MethodPatch, fmt.Sprintf("/api/v1/profiles/%d", p.ID), `{"ping_count":5,
		"snmp":{"credentials":{"version":"2c"},"extra_oids":[]}}`)
	if a.Status != http.StatusOK {
		t.Fatalf("patch profile: HTTP %d %s", a.Status, a.Body)
	}
	var sealed2 string
	testenv.Must(t, "read sealed", sys.Store.Pool().QueryRow(ctx, `SELECT community_sealed FROM profile_snmp WHERE profile_id = $1`, p.ID).Scan(&sealed2))
	if sealed2 != sealed {
		t.Errorf("a patch without the community changed it")
	}
	path := fmt.Sprintf("/api/v1/profiles/%d", p.ID)
	// "snmp": null removes the SNMP defaults; a body without "snmp" kept them above
	a = jsonCall(t, sys, http.MethodPost, "/api/v1/profiles", `{"name":"to-clear","snmp":{"credentials":{"version":"2c","community":"c2"}}}`)
	var pc profileView
	a.decode(t, &pc)
	a = jsonCall(t, sys, http.MethodPatch, fmt.Sprintf("/api/v1/profiles/%d", pc.ID), `{"snmp":null}`)
	var cleared profileView
	a.decode(t, &cleared)
	var left int
	testenv.Must(t, "count profile_snmp", sys.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM profile_snmp WHERE profile_id = $1`, pc.ID).Scan(&left))
	if a.Status != http.StatusOK || cleared.SNMP != nil || left != 0 {
		t.Errorf(`patch {"snmp":null}: HTTP %d, snmp %+v, %d profile_snmp rows; want 200, no SNMP defaults`, a.Status, cleared.SNMP, left)
	}
	errCases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"no name", http.MethodPost, "/api/v1/profiles", `{"ping_count":3}`, 400, "invalid_name", "name"},
		{"ping count 0", http.MethodPost, "/api/v1/profiles", `{"name":"x","ping_count":0}`, 400, "invalid_ping_count", "ping_count"},
		{"spacing under 10 ms", http.MethodPatch, path, `{"ping_interval_ms":5}`, 400, "invalid_ping_interval_ms", "ping_interval_ms"},
		{"timeout too long", http.MethodPatch, path, `{"ping_timeout_ms":60000}`, 400, "invalid_ping_timeout_ms", "ping_timeout_ms"},
		{"loss threshold 100", http.MethodPatch, path, `{"degraded_loss_pct":100}`, 400, "invalid_degraded_loss_pct", "degraded_loss_pct"},
		{"bad extra OID", http.MethodPatch, path, `{"snmp":{"extra_oids":[{"name":"t","oid":"not-an-oid"}]}}`, 400, "invalid_snmp.extra_oids[0].oid", "snmp.extra_oids[0].oid"},
		{"v2c without community", http.MethodPost, "/api/v1/profiles", `{"name":"nocomm","snmp":{"credentials":{"version":"2c"}}}`, 400, "invalid_snmp.credentials.community", "snmp.credentials.community"},
		{"SNMP port out of range", http.MethodPost, "/api/v1/profiles", `{"name":"badport","snmp":{"credentials":{"version":"2c","community":"c0mm","port":70000}}}`, 400, "invalid_snmp.credentials.port", "snmp.credentials.port"},
		{"SNMP timeout too short", http.MethodPost, "/api/v1/profiles", `{"name":"badtimeout","snmp":{"credentials":{"version":"2c","community":"c0mm","timeout_ms":5}}}`, 400, "invalid_snmp.credentials.timeout_ms", "snmp.credentials.timeout_ms"},
		{"SNMPv3 auth password too short", http.MethodPost, "/api/v1/profiles", `{"name":"badauth","snmp":{"credentials":{"version":"3","username":"mon","security_level":"authNoPriv","auth_protocol":"SHA","auth_password":"short"}}}`, 400, "invalid_snmp.credentials.auth_password", "snmp.credentials.auth_password"},
		{"SNMPv3 MD5", http.MethodPost, "/api/v1/profiles", `{"name":"badmd5","snmp":{"credentials":{"version":"3","username":"mon","security_level":"authNoPriv","auth_protocol":"MD5","auth_password":"long-enough"}}}`, 400, "invalid_snmp.credentials.auth_protocol", "snmp.credentials.auth_protocol"},
		{"duplicate name", http.MethodPost, "/api/v1/profiles", `{"name":"lossy-wan"}`, 409, "conflict", "name"},
		{"unknown field", http.MethodPost, "/api/v1/profiles", `{"name":"x","ping_cuont":3}`, 400, "unknown_field", "ping_cuont"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			jsonCall(t, sys, tc.method, tc.path, tc.body).wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
	// effective profile: type default, then branch default, then the device's own
	a = jsonCall(t, sys, http.MethodPost, "/api/v1/profiles", `{"name":"branch-default"}`)
	var bp profileView
	a.decode(t, &bp)
	seedPlaces(t, sys, "North/")
	a = jsonCall(t, sys, http.MethodPost, "/api/v1/branches", fmt.Sprintf(`{"name":"Olten","region":"North","profile_id":%d}`, bp.ID))
	if a.Status != http.StatusCreated {
		t.Fatalf("create branch: HTTP %d %s", a.Status, a.Body)
	}
	atm := createDevice(t, sys, `{"name":"atm-1","ip":"127.55.1.1","type":"atm"}`)
	inBranch := createDevice(t, sys, `{"name":"atm-2","ip":"127.55.1.2","type":"atm","branch":"Olten"}`)
	own := createDevice(t, sys, fmt.Sprintf(`{"name":"atm-3","ip":"127.55.1.3","type":"atm","branch":"Olten","profile_id":%d}`, p.ID))
	plain := createDevice(t, sys, `{"name":"rtr-1","ip":"127.55.1.4","type":"router"}`)
	for _, c := range []struct {
		d    deviceView
		want *int64
	}{{atm, &p.ID}, {inBranch, &bp.ID}, {own, &p.ID}, {plain, nil}} {
		got := c.d.EffectiveProfileID
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%s: effective profile %v, want %v", c.d.Name, ptr(got), ptr(c.want))
		}
	}
	if a := jsonCall(t, sys, http.MethodDelete, path, ""); a.Status != http.StatusNoContent {
		t.Fatalf("delete profile: HTTP %d %s", a.Status, a.Body)
	}
	var after deviceView
	jsonCall(t, sys, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d", own.ID), "").decode(t, &after)
	if after.ProfileID != nil || after.EffectiveProfileID == nil || *after.EffectiveProfileID != bp.ID {
		t.Errorf("after the profile's deletion atm-3 has profile %v effective %v, want none and the branch's %d",
			ptr(after.ProfileID), ptr(after.EffectiveProfileID), bp.ID)
	}
}

func ptr(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
