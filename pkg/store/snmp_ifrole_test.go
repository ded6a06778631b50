package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// An interface is seen up from the first poll that finds it up, and stays so while it is
// down; its role is set, or derived from the alias by the device profile's pattern.
func TestInterfaceSeenUpAndRole(t *testing.T) {
	st, d := newSNMPStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	poll := func(oper string) {
		t.Helper()
		at = at.Add(time.Minute)
		rec := store.SNMPPollRecord{Success: true, State: store.SNMPDeviceState{DeviceID: d.ID, LastPoll: at, LastSuccess: &at},
			Interfaces: []store.SNMPInterface{
				{DeviceID: d.ID, IfIndex: 1, Name: "Gi0/1", Alias: "[Uplink] core", AdminStatus: "up", OperStatus: oper, PolledAt: at},
				{DeviceID: d.ID, IfIndex: 2, Name: "Gi0/2", Alias: "desk", AdminStatus: "up", OperStatus: "down", PolledAt: at},
			}}
		testenv.Must(t, "save poll", st.SaveSNMPPolls(ctx, []store.SNMPPollRecord{rec}))
	}
	seen := func(idx int64) bool {
		t.Helper()
		v, err := st.InterfaceSeenUp(ctx, d.ID, idx)
		testenv.Must(t, "seen up", err)
		return v
	}
	poll("down")
	if seen(1) || seen(2) {
		t.Fatal("an interface never up is seen up")
	}
	poll("up")
	poll("down")
	if !seen(1) || seen(2) {
		t.Fatalf("seen up after up then down: Gi0/1 %v (want true), Gi0/2 %v (want false)", seen(1), seen(2))
	}

	p, err := st.SaveProfile(ctx, store.Profile{Name: "roles", PingCount: 3, PingIntervalMS: 10, PingTimeoutMS: 1000, RoleAliasPattern: `^\[(\w+)\]`})
	testenv.Must(t, "save profile", err)
	_, err = st.Pool().Exec(ctx, `UPDATE devices SET profile_id = $1 WHERE id = $2`, p.ID, d.ID)
	testenv.Must(t, "assign profile", err)
	if _, err := st.SetInterfaceRole(ctx, d.ID, 2, "access"); err != nil {
		t.Fatalf("set role: %v", err)
	}
	if _, err := st.SetInterfaceRole(ctx, d.ID, 99, "access"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set role of a missing interface = %v, want ErrNotFound", err)
	}
	pass, err := st.LoadAlertPass(ctx, alert.SourceSNMP, nil, &alert.Inventory{})
	testenv.Must(t, "load pass", err)
	roles := map[string]string{}
	for _, f := range pass.Snapshot.Interfaces {
		roles[f.Name] = f.Role
	}
	if roles["Gi0/1"] != "uplink" || roles["Gi0/2"] != "access" {
		t.Fatalf("roles = %v, want Gi0/1 uplink (from the alias), Gi0/2 access (set)", roles)
	}
}
