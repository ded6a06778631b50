package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

var addrEqual = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// TestDeviceLifecycle: create, get, patch (keeping, changing and clearing the parent), the
// 400/404/409 answers on the way, and delete.
func TestDeviceLifecycle(t *testing.T) {
	sys := startAPI(t)
	seedPlaces(t, sys, "north/zrh")
	rtr := createDevice(t, sys, `{"name":"br01-rtr","ip":"127.50.0.1","branch":"zrh","region":"north","type":"router",
		"vendor":"cisco","labels":{"tier":"1"}}`)
	if rtr.ID <= 0 || rtr.Status != "unknown" || !rtr.Enabled || rtr.ParentID != nil || rtr.Labels["tier"] != "1" ||
		rtr.IP != netip.MustParseAddr("127.50.0.1") {
		t.Fatalf("created %+v", rtr)
	}
	var got deviceView
	a := jsonCall(t, sys, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d", rtr.ID), "")
	a.decode(t, &got)
	if diff := cmp.Diff(rtr, got, addrEqual); a.Status != http.StatusOK || diff != "" {
		t.Errorf("get: HTTP %d (-created +got):\n%s", a.Status, diff)
	}

	sw := createDevice(t, sys, fmt.Sprintf(`{"name":"br01-sw","ip":"::1","parent_id":%d,"enabled":false}`, rtr.ID))
	if sw.ParentID == nil || *sw.ParentID != rtr.ID || sw.Enabled {
		t.Fatalf("child %+v: want parent %d, disabled", sw, rtr.ID)
	}
	swPath := fmt.Sprintf("/api/v1/devices/%d", sw.ID)

	// a patch changes only what it names
	a = jsonCall(t, sys, http.MethodPatch, swPath, `{"branch":"zrh","labels":{"rack":"a1"}}`)
	var patched deviceView
	a.decode(t, &patched)
	want := sw
	want.Branch, want.Region, want.BranchID, want.Labels = "zrh", "north", rtr.BranchID, map[string]string{"rack": "a1"}
	if diff := cmp.Diff(want, patched, addrEqual, cmpopts.IgnoreFields(deviceView{}, "UpdatedAt")); a.Status != http.StatusOK || diff != "" {
		t.Errorf("patch: HTTP %d (-want +got):\n%s", a.Status, diff)
	}

	errCases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"own parent", http.MethodPatch, swPath, fmt.Sprintf(`{"parent_id":%d}`, sw.ID), 400, "invalid_reference", "parent_id"},
		{"missing parent", http.MethodPatch, swPath, `{"parent_id":999999}`, 400, "invalid_reference", "parent_id"},
		{"zero parent", http.MethodPatch, swPath, `{"parent_id":0}`, 400, "invalid_field", "parent_id"},
		{"missing profile", http.MethodPatch, swPath, `{"profile_id":999999}`, 400, "invalid_reference", "profile_id"},
		{"rename onto another device", http.MethodPatch, swPath, `{"name":"br01-rtr"}`, 409, "conflict", "name"},
		{"create with a taken name", http.MethodPost, "/api/v1/devices", `{"name":"br01-rtr","ip":"127.50.0.9"}`, 409, "conflict", "name"},
		{"create with a missing parent", http.MethodPost, "/api/v1/devices", `{"name":"x","ip":"127.50.0.9","parent_id":999999}`, 400, "invalid_reference", "parent_id"},
		{"patch a bad IP", http.MethodPatch, swPath, `{"ip":"127.0.0.300"}`, 400, "invalid_ip", "ip"},
		{"patch blank name", http.MethodPatch, swPath, `{"name":"  "}`, 400, "invalid_name", "name"},
		{"patch unknown field", http.MethodPatch, swPath, `{"colour":"red"}`, 400, "unknown_field", "colour"},
		{"patch a missing device", http.MethodPatch, "/api/v1/devices/999999", `{"branch":"x"}`, 404, "not_found", ""},
		{"get a missing device", http.MethodGet, "/api/v1/devices/999999", "", 404, "not_found", ""},
		{"get a non-numeric id", http.MethodGet, "/api/v1/devices/abc", "", 400, "invalid_id", "id"},
		{"get id zero", http.MethodGet, "/api/v1/devices/0", "", 400, "invalid_id", "id"},
		{"get a negative id", http.MethodGet, "/api/v1/devices/-3", "", 400, "invalid_id", "id"},
		{"delete a missing device", http.MethodDelete, "/api/v1/devices/999999", "", 404, "not_found", ""},
		{"unknown route", http.MethodGet, "/api/v1/nothing-here", "", 404, "not_found", ""},
		{"wrong method", http.MethodPut, swPath, `{}`, 405, "method_not_allowed", ""},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			jsonCall(t, sys, tc.method, tc.path, tc.body).wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
	// none of the refused patches changed the device
	a = jsonCall(t, sys, http.MethodGet, swPath, "")
	var after deviceView
	a.decode(t, &after)
	if diff := cmp.Diff(patched, after, addrEqual); diff != "" {
		t.Errorf("device changed by refused patches (-before +after):\n%s", diff)
	}

	// absent parent_id keeps it, null clears it
	a = jsonCall(t, sys, http.MethodPatch, swPath, `{"enabled":true}`)
	a.decode(t, &after)
	if after.ParentID == nil || *after.ParentID != rtr.ID || !after.Enabled {
		t.Errorf("patch without parent_id: parent %v enabled %v, want %d and true", after.ParentID, after.Enabled, rtr.ID)
	}
	a = jsonCall(t, sys, http.MethodPatch, swPath, `{"parent_id":null}`)
	a.decode(t, &after)
	if a.Status != http.StatusOK || after.ParentID != nil {
		t.Errorf("patch parent_id null: HTTP %d parent %v, want cleared", a.Status, after.ParentID)
	}
	a = jsonCall(t, sys, http.MethodPatch, swPath, `{"name":"br01-switch"}`)
	a.decode(t, &after)
	if a.Status != http.StatusOK || after.Name != "br01-switch" {
		t.Errorf("rename: HTTP %d name %q", a.Status, after.Name)
	}

	if a := jsonCall(t, sys, http.MethodDelete, swPath, ""); a.Status != http.StatusNoContent || len(a.Body) != 0 {
		t.Errorf("delete: HTTP %d %q, want 204 and no body", a.Status, a.Body)
	}
	jsonCall(t, sys, http.MethodGet, swPath, "").wantError(t, "get deleted", 404, "not_found", "")
	jsonCall(t, sys, http.MethodDelete, swPath, "").wantError(t, "delete twice", 404, "not_found", "")
}

// TestBadCreateBodies: each kind of bad body is a 4xx JSON error naming the field, and nothing
// is created.
func TestBadCreateBodies(t *testing.T) {
	sys := startAPI(t)
	cases := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"invalid IP", `{"name":"a","ip":"127.0.0.256"}`, 400, "invalid_ip", "ip"},
		{"hostname as IP", `{"name":"a","ip":"localhost"}`, 400, "invalid_ip", "ip"},
		{"IP with prefix", `{"name":"a","ip":"127.0.0.0/8"}`, 400, "invalid_ip", "ip"},
		{"missing ip", `{"name":"a"}`, 400, "invalid_ip", "ip"},
		{"missing name", `{"ip":"127.0.0.1"}`, 400, "invalid_name", "name"},
		{"blank name", `{"name":" ","ip":"127.0.0.1"}`, 400, "invalid_name", "name"},
		{"name too long", `{"name":"` + strings.Repeat("n", 201) + `","ip":"127.0.0.1"}`, 400, "invalid_name", "name"},
		{"control character in branch", `{"name":"a","ip":"127.0.0.1","branch":"a\u0007b"}`, 400, "invalid_branch", "branch"},
		{"bad label key", `{"name":"a","ip":"127.0.0.1","labels":{"9x":"y"}}`, 400, "invalid_labels", "labels"},
		{"unknown field", `{"name":"a","ip":"127.0.0.1","colour":"red"}`, 400, "unknown_field", "colour"},
		{"wrong type", `{"name":"a","ip":"127.0.0.1","enabled":"yes"}`, 400, "invalid_field", "enabled"},
		{"array body", `[{"name":"a","ip":"127.0.0.1"}]`, 400, "invalid_field", ""},
		{"trailing object", `{"name":"a","ip":"127.0.0.1"}{"name":"b","ip":"127.0.0.2"}`, 400, "trailing_data", ""},
		{"trailing garbage", `{"name":"a","ip":"127.0.0.1"} ;DROP`, 400, "trailing_data", ""},
		{"truncated", `{"name":"a","ip":"127.0.0.1"`, 400, "invalid_json", ""},
		{"empty body", ``, 400, "invalid_json", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jsonCall(t, sys, http.MethodPost, "/api/v1/devices", tc.body).wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
	var l listPage
	jsonCall(t, sys, http.MethodGet, "/api/v1/devices", "").decode(t, &l)
	if len(l.Devices) != 0 {
		t.Errorf("%d devices exist after refused creates", len(l.Devices))
	}
}

// TestBodyLimit: a body of exactly 1 MiB is read; one byte more is 413, whether its length is
// announced (Content-Length) or not (chunked), on POST and PATCH.
func TestBodyLimit(t *testing.T) {
	sys := startAPI(t)
	head := `{"name":"padded","ip":"127.50.1.1"`
	exact := head + strings.Repeat(" ", api.MaxBody-len(head)-1) + "}"
	if len(exact) != api.MaxBody {
		t.Fatalf("fixture is %d bytes", len(exact))
	}
	if a := call(t, sys, http.MethodPost, "/api/v1/devices", "application/json", strings.NewReader(exact)); a.Status != http.StatusCreated {
		t.Fatalf("a body of exactly 1 MiB: HTTP %d %s", a.Status, a.Body)
	}
	over := head + strings.Repeat(" ", api.MaxBody-len(head)) + "}"
	cases := []struct {
		name, method, path string
		chunked            bool
	}{
		{"POST with length", http.MethodPost, "/api/v1/devices", false},
		{"POST chunked", http.MethodPost, "/api/v1/devices", true},
		{"PATCH with length", http.MethodPatch, "/api/v1/devices/1", false},
		{"PATCH chunked", http.MethodPatch, "/api/v1/devices/1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(over)
			if tc.chunked {
				body = io.MultiReader(bytes.NewReader([]byte(over))) // no length known: sent chunked
			}
			call(t, sys, tc.method, tc.path, "application/json", body).wantError(t, tc.name, http.StatusRequestEntityTooLarge, "body_too_large", "")
		})
	}
}

// TestStandaloneList checks the SPEC's standalone list: its keys, RFC 3339 UTC timestamps, and
// values equal to the store's rows (the API encodes it by hand, so names with quotes,
// backslashes and non-ASCII text must survive).
func TestStandaloneList(t *testing.T) {
	sys := startAPI(t)
	seedPlaces(t, sys, `n"1/zürich`)
	a := createDevice(t, sys, `{"name":"a","ip":"127.50.2.1"}`)
	createDevice(t, sys, fmt.Sprintf(`{"name":"o\"brien\\<b>&ü ","ip":"::1","branch":"zürich","region":"n\"1","type":"atm","parent_id":%d}`, a.ID))
	createDevice(t, sys, `{"name":"c","ip":"127.50.2.3"}`)
	slot := time.Now().UTC().Truncate(time.Second)
	rtt, jit := 1.25, 0.125
	_, err := sys.Store.WritePingResults(context.Background(), []store.PingResult{
		{DeviceID: a.ID, SlotAt: slot, MeasuredAt: slot.Add(123456789), Sent: 3, Received: 3, RTTMinMS: &rtt, RTTAvgMS: &rtt,
			RTTMaxMS: &rtt, JitterMS: &jit, Status: "up"}})
	testenv.Must(t, "write status", err)
	time.Sleep(1100 * time.Millisecond) // the list is rebuilt at most once a second

	ans := jsonCall(t, sys, http.MethodGet, "/api/v1/devices/standalone/list", "")
	if ans.Status != http.StatusOK {
		t.Fatalf("HTTP %d %s", ans.Status, ans.Body)
	}
	var raw struct {
		Devices []map[string]any `json:"devices"`
		Count   int              `json:"count"`
	}
	ans.decode(t, &raw)
	if raw.Count != 3 || len(raw.Devices) != 3 {
		t.Fatalf("count %d, %d devices, want 3", raw.Count, len(raw.Devices))
	}
	wantKeys := []string{"blocked_by", "branch", "id", "ip", "jitter_ms", "last_change", "last_seen", "loss_pct", "name", "parent_id", "region",
		"rtt_ms", "status", "type", "version"}
	for _, d := range raw.Devices {
		var keys []string
		for k := range d {
			keys = append(keys, k)
		}
		if diff := cmp.Diff(wantKeys, keys, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("keys of %v (-want +got):\n%s", d["name"], diff)
		}
		for _, k := range []string{"last_change", "last_seen"} {
			s, ok := d[k].(string)
			if !ok {
				continue // last_seen is null until a device answers
			}
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
				t.Errorf("%s %q of %v is not RFC 3339 UTC", k, s, d["name"])
			}
		}
	}
	var typed struct {
		Devices []store.StandaloneRow `json:"devices"`
	}
	ans.decode(t, &typed)
	want, err := sys.Store.StandaloneList(context.Background())
	testenv.Must(t, "store list", err)
	if diff := cmp.Diff(want, typed.Devices); diff != "" {
		t.Errorf("API list vs store rows (-store +api):\n%s", diff)
	}
}

// TestConstraintErrorsHideDatabaseText (pen-test finding 7): a write that violates a
// constraint answers a field error in the API's words; PostgreSQL's text (`Key (parent_id)=…
// is not present in table "devices"`) never reaches the client.
func TestConstraintErrorsHideDatabaseText(t *testing.T) {
	sys := startAPI(t)
	createDevice(t, sys, `{"name":"cx-rtr","ip":"127.53.0.1"}`)
	cases := []struct {
		name, method, path, body string
		status                   int
		code, field, message     string
	}{
		{"missing parent", http.MethodPost, "/api/v1/devices", `{"name":"cx-sw","ip":"127.53.0.2","parent_id":999999}`,
			400, "invalid_reference", "parent_id", "parent_id does not name an existing device"},
		{"missing profile", http.MethodPost, "/api/v1/devices", `{"name":"cx-sw","ip":"127.53.0.2","profile_id":999999}`,
			400, "invalid_reference", "profile_id", "profile_id does not name an existing monitoring profile"},
		{"taken name", http.MethodPost, "/api/v1/devices", `{"name":"cx-rtr","ip":"127.53.0.3"}`,
			409, "conflict", "name", "another device already has this name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := jsonCall(t, sys, tc.method, tc.path, tc.body)
			a.wantError(t, tc.name, tc.status, tc.code, tc.field)
			for _, leak := range []string{"Key (", "table", "constraint", "violates", "devices_"} {
				if strings.Contains(string(a.Body), leak) {
					t.Errorf("%s: answer %s contains database text %q", tc.name, a.Body, leak)
				}
			}
			if a.Err.Error == nil || a.Err.Error.Message != tc.message {
				t.Errorf("%s: answer %s, want message %q", tc.name, a.Body, tc.message)
			}
		})
	}
}
