package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestDeleteKeepsHistory: a device deleted through the API leaves GET /devices, the standalone
// list and GET /devices/{id} (404), is no longer pinged (not among the enabled devices), its
// name can be used again at once, and the availability report and the audit trail still show
// it.
func TestDeleteKeepsHistory(t *testing.T) {
	sys := startAPI(t)
	ctx := context.Background()
	d := createDevice(t, sys, `{"name":"sd-1","ip":"127.64.0.1"}`)
	_, err := sys.Store.Pool().Exec(ctx, `UPDATE devices SET created_at = now() - interval '2 hours' WHERE id = $1`, d.ID)
	testenv.Must(t, "age device", err)
	if a := jsonCall(t, sys, http.MethodDelete, fmt.Sprintf("/api/v1/devices/%d", d.ID), ""); a.Status != http.StatusNoContent {
		t.Fatalf("delete: HTTP %d %s", a.Status, a.Body)
	}
	jsonCall(t, sys, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d", d.ID), "").wantError(t, "get deleted", http.StatusNotFound, "not_found", "")
	jsonCall(t, sys, http.MethodDelete, fmt.Sprintf("/api/v1/devices/%d", d.ID), "").wantError(t, "delete twice", http.StatusNotFound, "not_found", "")
	var list struct{ Devices []deviceView }
	jsonCall(t, sys, http.MethodGet, "/api/v1/devices", "").decode(t, &list)
	if len(list.Devices) != 0 {
		t.Errorf("GET /devices lists %d devices after the delete", len(list.Devices))
	}
	ids, err := sys.Store.EnabledDeviceIDs(ctx)
	testenv.Must(t, "enabled ids", err)
	if len(ids) != 0 {
		t.Errorf("enabled (pinged) devices %v after the delete", ids)
	}
	again := createDevice(t, sys, `{"name":"sd-1","ip":"127.64.0.2"}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var sl struct{ Devices []store.StandaloneRow }
		jsonCall(t, sys, http.MethodGet, "/api/v1/devices/standalone/list", "").decode(t, &sl)
		if len(sl.Devices) == 1 && sl.Devices[0].ID == again.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("standalone list %+v, want only the re-created device %d", sl.Devices, again.ID)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var rep struct {
		Devices []struct {
			ID int64 `json:"id"`
		} `json:"devices"`
	}
	a := jsonCall(t, sys, http.MethodGet, "/api/v1/reports/availability?range=1d", "")
	a.decode(t, &rep)
	found := false
	for _, r := range rep.Devices {
		found = found || r.ID == d.ID
	}
	if !found {
		t.Errorf("the availability report leaves out the deleted device: %s", a.Body)
	}
	recs, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Action: "device.delete", TargetID: fmt.Sprint(d.ID)})
	testenv.Must(t, "audit", err)
	if len(recs) != 1 || len(recs[0].Before) == 0 {
		t.Errorf("audit of the delete: %+v", recs)
	}
}
