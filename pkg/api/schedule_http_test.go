package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestScheduleAPI: the stored schedule is listed with next runs; an admin's edit is stored,
// answered and audited with before and after; bad values are 400 naming the field; a viewer
// may read but not write.
func TestScheduleAPI(t *testing.T) {
	sys := startAPI(t)
	ctx := context.Background()
	testenv.Must(t, "seed", sys.Store.SeedSchedule(ctx, []store.ScheduleEntry{
		{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true},
		{TaskType: tasks.TypeRetention, Interval: time.Hour, Offset: 5 * time.Minute, Enabled: true}}))
	var list struct{ Schedule []schedule.View }
	a := jsonCall(t, sys, http.MethodGet, "/api/v1/schedule", "")
	a.decode(t, &list)
	if len(list.Schedule) != 2 || list.Schedule[0].TaskType != tasks.TypePingCycle || list.Schedule[0].Spec != "@every 30s" ||
		list.Schedule[0].NextRun == nil || list.Schedule[1].Spec != "5 * * * *" {
		t.Fatalf("GET /schedule: %s", a.Body)
	}
	for _, tc := range []struct{ name, task, body, code, field string }{
		{"too short", "cycle:ping", `{"interval":"500ms"}`, "invalid_interval", "interval"},
		{"not a duration", "cycle:ping", `{"interval":"often"}`, "invalid_interval", "interval"},
		{"offset past interval", "cycle:ping", `{"offset":"30s"}`, "invalid_offset", "offset"},
		{"unknown field", "cycle:ping", `{"cron":"* * * * *"}`, "unknown_field", "cron"},
	} {
		jsonCall(t, sys, http.MethodPatch, "/api/v1/schedule/"+tc.task, tc.body).wantError(t, tc.name, http.StatusBadRequest, tc.code, tc.field)
	}
	jsonCall(t, sys, http.MethodPatch, "/api/v1/schedule/cycle:nope", `{"interval":"10s"}`).wantError(t, "unknown job", http.StatusNotFound, "not_found", "")
	jsonCall(t, sys, http.MethodPatch, "/api/v1/schedule/cycle:snmp", `{"interval":"10s"}`).wantError(t, "unseeded job", http.StatusNotFound, "not_found", "")
	viewer := authtest.Token(t, sys.Auth, auth.RoleViewer)
	if code, body := as(t, sys.URL, viewer, http.MethodPatch, "/api/v1/schedule/cycle:ping", `{"interval":"10s"}`); code != http.StatusForbidden {
		t.Errorf("viewer PATCH: HTTP %d %s, want 403", code, body)
	}

	a = jsonCall(t, sys, http.MethodPatch, "/api/v1/schedule/cycle:ping", `{"interval":"10s","offset":"2s"}`)
	var v schedule.View
	a.decode(t, &v)
	if a.Status != http.StatusOK || v.Interval != "10s" || v.Offset != "2s" || v.Spec != "@every 10s +2s" {
		t.Fatalf("PATCH: HTTP %d %s", a.Status, a.Body)
	}
	got, err := sys.Store.GetScheduleEntry(ctx, tasks.TypePingCycle)
	testenv.Must(t, "stored entry", err)
	if got.Interval != 10*time.Second || got.Offset != 2*time.Second || got.UpdatedBy == "environment" {
		t.Errorf("stored %+v", got)
	}
	recs, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Action: "schedule.update"})
	testenv.Must(t, "audit", err)
	if len(recs) != 1 {
		t.Fatalf("audit rows %d, want 1", len(recs))
	}
	var before, after map[string]any
	testenv.Must(t, "before", json.Unmarshal(recs[0].Before, &before))
	testenv.Must(t, "after", json.Unmarshal(recs[0].After, &after))
	if before["interval"] != "30s" || after["interval"] != "10s" || after["offset"] != "2s" || recs[0].TargetID != tasks.TypePingCycle {
		t.Errorf("audit before %v after %v target %s", before, after, recs[0].TargetID)
	}
}

// TestScheduleIntervalFitsCycle: a ping interval must be longer than the longest ping cycle
// (timeout + (count-1) × spacing, of the worker's defaults and of every profile), an SNMP
// interval longer than the longest SNMP request (timeout × tries, of every device's and
// profile's settings); a refusal is 400 on "interval" saying the minimum and whose settings
// set it. A profile whose ping would not fit the enabled ping interval is refused on
// ping_timeout_ms. A disabled job is not checked until it is enabled.
func TestScheduleIntervalFitsCycle(t *testing.T) {
	sys := startAPI(t)
	base := configAPI(t, sys)
	ctx := context.Background()
	testenv.Must(t, "seed", sys.Store.SeedSchedule(ctx, []store.ScheduleEntry{
		{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true},
		{TaskType: tasks.TypeSNMPCycle, Interval: time.Minute, Enabled: true},
		{TaskType: tasks.TypeWorkerHealth, Interval: 5 * time.Minute, Enabled: true}}))
	steps := []struct {
		name, method, path, body string
		status                   int
		message                  string // the refusal's message holds this
	}{
		{"ping under the defaults' 1.02s", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"1s"}`, 400,
			"must be longer than one cycle can take (1.02s, the worker's defaults: timeout 1s + 2 × 10ms spacing): at least 2s"},
		{"ping at the defaults' minimum", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"2s"}`, 200, ""},
		{"a profile slower than the interval", "POST", "/api/v1/profiles", `{"name":"slow-atm","ping_count":5,"ping_interval_ms":500,"ping_timeout_ms":3000}`, 400,
			`a ping of profile "slow-atm" would take 5s (timeout 3s + 4 × 500ms spacing), not less than the ping interval of 2s`},
		{"ping back to 30s", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"30s"}`, 200, ""},
		{"the slow profile", "POST", "/api/v1/profiles", `{"name":"slow-atm","ping_count":5,"ping_interval_ms":500,"ping_timeout_ms":3000}`, 201, ""},
		{"ping under the profile's 5s", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"5s"}`, 400,
			`(5s, profile "slow-atm": timeout 3s + 4 × 500ms spacing): at least 6s`},
		{"ping at the profile's minimum", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"6s"}`, 200, ""},
		{"the profile slowed past the interval", "PATCH", "/api/v1/profiles/{prof}", `{"ping_timeout_ms":5000}`, 400,
			`a ping of profile "slow-atm" would take 7s (timeout 5s + 4 × 500ms spacing), not less than the ping interval of 6s`},
		{"the profile slowed within it", "PATCH", "/api/v1/profiles/{prof}", `{"ping_timeout_ms":3500}`, 200, ""},
		{"disabled: not checked", "PATCH", "/api/v1/schedule/cycle:ping", `{"interval":"3s","enabled":false}`, 200, ""},
		{"disabled: profiles unchecked", "PATCH", "/api/v1/profiles/{prof}", `{"ping_timeout_ms":4000}`, 200, ""},
		{"enabled again: checked", "PATCH", "/api/v1/schedule/cycle:ping", `{"enabled":true}`, 400, "at least 7s"},
		{"SNMP with no settings anywhere", "PATCH", "/api/v1/schedule/cycle:snmp", `{"interval":"5s"}`, 200, ""},
		{"a device", "POST", "/api/v1/devices", `{"name":"slow-rtr","ip":"127.64.0.1"}`, 201, ""},
		{"its slow SNMP", "PUT", "/api/v1/devices/{dev}/snmp", `{"version":"2c","community":"c0mm","timeout_ms":3000,"retries":2}`, 200, ""},
		{"SNMP under the device's 9s", "PATCH", "/api/v1/schedule/cycle:snmp", `{"interval":"9s"}`, 400,
			`(9s, device "slow-rtr": timeout 3s × 3 tries, for each request): at least 10s`},
		{"SNMP at the device's minimum", "PATCH", "/api/v1/schedule/cycle:snmp", `{"interval":"10s"}`, 200, ""},
		{"other jobs unchecked", "PATCH", "/api/v1/schedule/ops:worker_health", `{"interval":"5s"}`, 200, ""},
	}
	ids := map[string]string{} // {dev}, {prof}: the ids of the device and profile created
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			path := strings.NewReplacer("{dev}", ids["dev"], "{prof}", ids["prof"]).Replace(tc.path)
			code, body := as(t, base, sys.Token, tc.method, path, tc.body)
			if code != tc.status {
				t.Fatalf("HTTP %d %s, want %d", code, body, tc.status)
			}
			if key := map[string]string{"/api/v1/devices": "dev", "/api/v1/profiles": "prof"}[tc.path]; key != "" && code == http.StatusCreated {
				var d struct{ ID int64 }
				testenv.Must(t, "created id", json.Unmarshal([]byte(body), &d))
				ids[key] = fmt.Sprint(d.ID)
			}
			if tc.status != 400 {
				return
			}
			field := "interval"
			if strings.HasPrefix(tc.path, "/api/v1/profiles") {
				field = "ping_timeout_ms"
			}
			var e struct {
				Error struct{ Code, Message, Field string }
			}
			testenv.Must(t, "error body", json.Unmarshal([]byte(body), &e))
			if e.Error.Field != field || e.Error.Code != "invalid_"+field || !strings.Contains(e.Error.Message, tc.message) {
				t.Errorf("error %+v, want invalid_%s on %s saying %q", e.Error, field, field, tc.message)
			}
		})
	}
	got, err := sys.Store.GetScheduleEntry(ctx, tasks.TypePingCycle)
	testenv.Must(t, "stored ping job", err)
	if got.Interval != 3*time.Second || got.Enabled {
		t.Errorf("stored ping job %+v, want the refused enable not stored (3s, disabled)", got)
	}
}
