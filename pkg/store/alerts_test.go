package store_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func aptr[T any](v T) *T { return &v }

// seedAlerts writes alerts directly: (severity, state, device) per row, newest last.
func seedAlerts(t *testing.T, st *store.Store, rows [][3]string, device int64) []int64 {
	var ids []int64
	for i, r := range rows {
		var id int64
		err := st.Pool().QueryRow(t.Context(), `INSERT INTO alerts (rule_id, rule_name, kind, device_id, subject, severity, state,
			started_at, updated_at) VALUES (1, 'Device down', 'device_down', $1, $2, $3, $4, now(), now()) RETURNING id`,
			device, r[2]+string(rune('a'+i)), r[0], r[1]).Scan(&id)
		testenv.Must(t, "seed alert", err)
		ids = append(ids, id)
	}
	return ids
}

func TestListAlerts(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	d, err := st.CreateDevice(t.Context(), store.DeviceInput{Name: "r1", IP: netip.MustParseAddr("127.0.0.1"), Enabled: true})
	testenv.Must(t, "device", err)
	ids := seedAlerts(t, st, [][3]string{
		{"critical", "firing", "x"}, {"minor", "resolved", "x"}, {"critical", "suppressed", "x"},
		{"warning", "acknowledged", "x"}, {"critical", "firing", "y"},
	}, d.ID)
	tests := []struct {
		name string
		f    store.AlertFilter
		want []int64
		next int64
	}{
		{"all newest first", store.AlertFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}, 0},
		{"firing", store.AlertFilter{State: "firing"}, []int64{ids[4], ids[0]}, 0},
		{"open", store.AlertFilter{State: "open"}, []int64{ids[4], ids[3], ids[2], ids[0]}, 0},
		{"critical of the device", store.AlertFilter{Severity: "critical", DeviceID: d.ID}, []int64{ids[4], ids[2], ids[0]}, 0},
		{"page 1", store.AlertFilter{Limit: 2}, []int64{ids[4], ids[3]}, ids[3]},
		{"page 2", store.AlertFilter{Limit: 2, Before: ids[3]}, []int64{ids[2], ids[1]}, ids[1]},
		{"other device", store.AlertFilter{DeviceID: d.ID + 1}, []int64{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := st.ListAlerts(t.Context(), tc.f)
			testenv.Must(t, "list", err)
			gotIDs := []int64{}
			for _, a := range got {
				gotIDs = append(gotIDs, a.ID)
			}
			if diff := cmp.Diff(tc.want, gotIDs); diff != "" || next != tc.next {
				t.Errorf("ids (-want +got):\n%s next %d want %d", diff, next, tc.next)
			}
		})
	}
	a, err := st.GetAlert(t.Context(), ids[3])
	testenv.Must(t, "get", err)
	if a.State != alert.StateAcknowledged || a.DeviceID != d.ID || a.RuleName != "Device down" || a.NotifiedChannels == nil {
		t.Errorf("alert = %+v", a)
	}
	if _, err := st.GetAlert(t.Context(), 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
	if _, err := st.AlertEvents(t.Context(), 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("events of an unknown alert: %v", err)
	}
	un, err := st.UnackAlert(t.Context(), ids[3], "olga")
	testenv.Must(t, "unack", err)
	if un.State != alert.StateFiring {
		t.Errorf("after unack: %s", un.State)
	}
	if _, err := st.UnackAlert(t.Context(), ids[3], "olga"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("unack of a firing alert: %v, want ErrConflict", err)
	}
	evs, err := st.AlertEvents(t.Context(), ids[3])
	testenv.Must(t, "events", err)
	if len(evs) != 1 || evs[0].Kind != alert.EventUnacknowledged || evs[0].Actor != "olga" {
		t.Errorf("events = %+v", evs)
	}
}

func TestRulesCRUD(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := t.Context()
	rules, err := st.ListAlertRules(ctx)
	testenv.Must(t, "list", err)
	if len(rules) != 17 {
		t.Fatalf("default rules = %d, want 17", len(rules))
	}
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			t.Errorf("default rule %q is invalid: %v", r.Name, err)
		}
	}
	r, err := st.CreateAlertRule(ctx, alert.RuleInput{Name: aptr("ATM loss"), Kind: aptr(alert.KindPingLossPct),
		Threshold: aptr(10.0), RecoveryThreshold: aptr(2.0), Severity: aptr(alert.SeverityMajor),
		Scope: &alert.Scope{Types: []string{"atm"}, Labels: map[string]string{"tier": "gold"}}})
	testenv.Must(t, "create", err)
	got, err := st.GetAlertRule(ctx, r.ID)
	testenv.Must(t, "get", err)
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	var fe *alert.FieldError
	if _, err := st.UpdateAlertRule(ctx, r.ID, alert.RuleInput{RecoveryThreshold: aptr(50.0)}); !errors.As(err, &fe) || fe.Field != "recovery_threshold" {
		t.Errorf("invalid update: %v", err)
	}
	if _, err := st.UpdateAlertRule(ctx, 999999, alert.RuleInput{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of an unknown rule: %v", err)
	}
	up, err := st.UpdateAlertRule(ctx, r.ID, alert.RuleInput{Enabled: aptr(false)})
	testenv.Must(t, "disable", err)
	enabled, err := st.EnabledAlertRules(ctx)
	testenv.Must(t, "enabled", err)
	if up.Enabled || len(enabled) != 17 {
		t.Errorf("disabled rule: enabled=%v, %d enabled rules", up.Enabled, len(enabled))
	}
}

func TestWindowsCRUD(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	ctx := t.Context()
	w, err := st.CreateWindow(ctx, alert.WindowInput{Name: "Sunday night", Kind: alert.WindowWeekly, Weekdays: []int{0, 6, 0},
		StartTime: "22:00", DurationMinutes: 240, TimeZone: "Asia/Tashkent", Targets: alert.Scope{Regions: []string{"north"}},
		CreatedBy: "olga"})
	testenv.Must(t, "create", err)
	if diff := cmp.Diff([]int{0, 6}, w.Weekdays); diff != "" || !w.Enabled || w.StartsAt != nil {
		t.Errorf("created %+v (weekdays -want +got:\n%s)", w, diff)
	}
	from := time.Date(2026, 5, 1, 20, 0, 0, 0, time.FixedZone("UTC+5", 5*3600))
	to := from.Add(2 * time.Hour)
	up, err := st.UpdateWindow(ctx, w.ID, alert.WindowInput{Name: "One-off", Kind: alert.WindowOnce, StartsAt: &from, EndsAt: &to,
		Targets: alert.Scope{Devices: []int64{7}}, Enabled: aptr(false)})
	testenv.Must(t, "update", err)
	if up.Kind != alert.WindowOnce || !up.StartsAt.Equal(from) || up.StartsAt.Location() != time.UTC || up.Enabled || len(up.Weekdays) != 0 {
		t.Errorf("updated %+v", up)
	}
	got, err := st.GetWindow(ctx, w.ID)
	testenv.Must(t, "get", err)
	if diff := cmp.Diff(up, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	all, err := st.ListWindows(ctx)
	testenv.Must(t, "list", err)
	if len(all) != 1 {
		t.Errorf("windows = %d", len(all))
	}
	testenv.Must(t, "delete", st.DeleteWindow(ctx, w.ID))
	if err := st.DeleteWindow(ctx, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if _, err := st.GetWindow(ctx, w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
}
