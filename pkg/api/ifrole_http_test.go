package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wardops/wardops/testinfra/testenv"
)

// PUT /devices/{id}/interfaces/{ifindex}/role: admin only, validated, 404 for an interface the
// device does not have, and audited.
func TestInterfaceRoleHTTP(t *testing.T) {
	e := startScopeEnv(t)
	id := e.dev["A"]
	_, err := e.pool.Exec(context.Background(), `INSERT INTO snmp_interfaces (device_id, if_index, name, alias, polled_at) VALUES ($1, 3, 'Gi0/3', 'to core', now())`, id)
	testenv.Must(t, "insert interface", err)
	path := fmt.Sprintf("/api/v1/devices/%d/interfaces/3/role", id)
	tests := []struct {
		name, caller, path, body string
		want                     int
		contains                 string
	}{
		{"operator refused", "operator", path, `{"role":"uplink"}`, 403, ""},
		{"bad role", "admin", path, `{"role":"Up Link"}`, 400, `"field":"role"`},
		{"missing role", "admin", path, `{}`, 400, `"field":"role"`},
		{"unknown field", "admin", path, `{"role":"wan","x":1}`, 400, ""},
		{"no such interface", "admin", fmt.Sprintf("/api/v1/devices/%d/interfaces/9/role", id), `{"role":"wan"}`, 404, ""},
		{"bad ifindex", "admin", fmt.Sprintf("/api/v1/devices/%d/interfaces/x/role", id), `{"role":"wan"}`, 400, `"field":"ifindex"`},
		{"set", "admin", path, `{"role":"uplink"}`, 200, `"previous_role":""`},
		{"change", "admin", path, `{"role":"wan"}`, 200, `"previous_role":"uplink"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.do(e.callers[tc.caller], "PUT", tc.path, tc.body)
			if code != tc.want || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("PUT %s %s = %d %s, want %d containing %s", tc.path, tc.body, code, body, tc.want, tc.contains)
			}
		})
	}
	var role string
	var audited int
	testenv.Must(t, "read role", e.pool.QueryRow(context.Background(), `SELECT role FROM snmp_interfaces WHERE device_id = $1 AND if_index = 3`, id).Scan(&role))
	testenv.Must(t, "count audit", e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action || coalesce(detail::text, '') LIKE '%/role%'`).Scan(&audited))
	if role != "wan" || audited < 2 {
		t.Fatalf("role %q (want wan), %d audit rows for the role route (want ≥ 2)", role, audited)
	}
}
