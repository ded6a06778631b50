package api_test

import (
	"context"
	"encoding/json"
	"net/http"
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
