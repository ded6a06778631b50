package store_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestDeviceScopeQueries checks the scope conditions of the device list, the alert list and the
// availability report: a union of regions and branches, the zero scope unlimited, system alerts
// outside every limited scope, and names passed as parameters (quotes and wildcards are text).
func TestDeviceScopeQueries(t *testing.T) {
	st := newPingStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	names := map[int64]string{}
	for i, d := range []struct{ name, region, branch string }{
		{"n1", "North", "BR-1"}, {"n2", "North", "BR-2"}, {"s1", "South", "BR-3"}, {"q1", "O'Neil%", "BR_4"}, {"x1", "", ""},
	} {
		dev, err := st.CreateDevice(ctx, store.DeviceInput{Name: d.name, IP: netip.AddrFrom4([4]byte{127, 42, 0, byte(i + 1)}),
			Region: d.region, Branch: d.branch, Enabled: true})
		testenv.Must(t, "create device", err)
		names[dev.ID] = d.name
		_, err = st.Pool().Exec(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, device_id, severity, state, started_at, updated_at)
			VALUES (1, 'r', 'device_down', $1, 'major', 'firing', now(), now())`, dev.ID)
		testenv.Must(t, "insert alert", err)
	}
	_, err := st.Pool().Exec(ctx, `INSERT INTO alerts (rule_id, rule_name, kind, severity, state, started_at, updated_at)
		VALUES (2, 'system', 'system', 'major', 'firing', now(), now())`)
	testenv.Must(t, "insert system alert", err)
	cases := []struct {
		name  string
		scope store.DeviceScope
		want  []string
	}{
		{"unlimited", store.DeviceScope{}, []string{"n1", "n2", "s1", "q1", "x1"}},
		{"one region", store.DeviceScope{Regions: []string{"North"}}, []string{"n1", "n2"}},
		{"one branch", store.DeviceScope{Branches: []string{"BR-3"}}, []string{"s1"}},
		{"region or branch", store.DeviceScope{Regions: []string{"North"}, Branches: []string{"BR-3"}}, []string{"n1", "n2", "s1"}},
		{"quotes and wildcards are text", store.DeviceScope{Regions: []string{"O'Neil%"}, Branches: []string{"BR_4"}}, []string{"q1"}},
		{"a wildcard matches nothing else", store.DeviceScope{Branches: []string{"BR_%", "%"}}, []string{}},
		{"unknown region", store.DeviceScope{Regions: []string{"Nowhere"}}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			devs, _, err := st.ListDevices(ctx, store.DeviceFilter{Limit: 100, Scope: c.scope})
			testenv.Must(t, "list devices", err)
			alerts, _, err := st.ListAlerts(ctx, store.AlertFilter{Scope: c.scope})
			testenv.Must(t, "list alerts", err)
			rows, err := st.Availability(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute), c.scope)
			testenv.Must(t, "availability", err)
			got := [3][]string{{}, {}, {}}
			for _, d := range devs {
				got[0] = append(got[0], d.Name)
			}
			system := 0
			for _, a := range alerts {
				if a.DeviceID == 0 {
					system++
					continue
				}
				got[1] = append(got[1], names[a.DeviceID])
			}
			for _, r := range rows {
				got[2] = append(got[2], r.Name)
			}
			for i := range got {
				slices.Sort(got[i])
			}
			want := slices.Clone(c.want)
			slices.Sort(want)
			if diff := cmp.Diff([3][]string{want, want, want}, got); diff != "" {
				t.Errorf("devices, alerts, availability (-want +got):\n%s", diff)
			}
			if wantSys := map[bool]int{true: 1, false: 0}[c.scope.All()]; system != wantSys {
				t.Errorf("%d system alerts, want %d (unscoped only)", system, wantSys)
			}
		})
	}
}
