package api_test

import (
	"net/http"
	"strconv"
	"testing"
)

// TestProfileVerdictFields: the degraded verdict's window, its recovery threshold and the
// interface-role pattern are set through the profile API and refused out of range.
func TestProfileVerdictFields(t *testing.T) {
	sys := startAPI(t)
	a := jsonCall(t, sys, http.MethodPost, "/api/v1/profiles", `{"name":"lossy-wan","degraded_loss_pct":20,"window_cycles":8,"recover_loss_pct":5,"role_alias_pattern":"^\\[(?P<role>\\w+)\\]"}`)
	if a.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", a.Status, a.Body)
	}
	var p struct {
		ID               int64    `json:"id"`
		WindowCycles     int      `json:"window_cycles"`
		RecoverLossPct   *float64 `json:"recover_loss_pct"`
		RoleAliasPattern string   `json:"role_alias_pattern"`
	}
	a.decode(t, &p)
	if p.WindowCycles != 8 || p.RecoverLossPct == nil || *p.RecoverLossPct != 5 || p.RoleAliasPattern != `^\[(?P<role>\w+)\]` {
		t.Fatalf("created %+v", p)
	}
	path := "/api/v1/profiles/" + strconv.FormatInt(p.ID, 10)
	if a := jsonCall(t, sys, http.MethodPatch, path, `{"recover_loss_pct":null}`); a.Status != http.StatusOK {
		t.Fatalf("recover_loss_pct null: %d %s", a.Status, a.Body)
	} else if a.decode(t, &p); p.RecoverLossPct != nil || p.WindowCycles != 8 {
		t.Errorf("after null: %+v", p)
	}
	for _, c := range []struct{ body, field string }{ // the decoder names a wrong JSON type invalid_field
		{`{"window_cycles":31}`, "window_cycles"},
		{`{"window_cycles":-1}`, "window_cycles"},
		{`{"recover_loss_pct":30}`, "recover_loss_pct"},
		{`{"recover_loss_pct":"half"}`, "recover_loss_pct"},
		{`{"role_alias_pattern":"(unclosed"}`, "role_alias_pattern"},
		{`{"role_alias_pattern":"no group"}`, "role_alias_pattern"},
	} {
		code := "invalid_" + c.field
		if c.body == `{"recover_loss_pct":"half"}` {
			code = "invalid_field"
		}
		jsonCall(t, sys, http.MethodPatch, path, c.body).wantError(t, c.body, http.StatusBadRequest, code, c.field)
	}
}
