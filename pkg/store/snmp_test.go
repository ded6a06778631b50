package store_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func newSNMPStore(t *testing.T) (*store.Store, store.Device) {
	t.Helper()
	st := store.New(testenv.NewDB(t), 0, nil)
	d, err := st.CreateDevice(testenv.Ctx(t, 10*time.Second), store.DeviceInput{Name: "rtr-1", IP: netip.MustParseAddr("127.0.0.1"), Enabled: true})
	testenv.Must(t, "create device", err)
	return st, d
}

func TestSNMPConfigRoundTripAndResolution(t *testing.T) {
	st, d := newSNMPStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	if _, err := st.DeviceSNMPConfig(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("config of an unconfigured device: %v, want ErrNotFound", err)
	}
	dev := store.SNMPConfig{Version: "3", Host: "::1", Port: 1161, TimeoutMS: 500, Retries: 0, MaxRepetitions: 25,
		Username: "noc", SecurityLevel: "authPriv", AuthProtocol: "SHA-256", PrivProtocol: "AES",
		AuthPasswordSealed: "v1.aaaaaaaa.x", PrivPasswordSealed: "v1.aaaaaaaa.y"}
	testenv.Must(t, "put device config", st.PutDeviceSNMPConfig(ctx, d.ID, dev))
	got, err := st.DeviceSNMPConfig(ctx, d.ID)
	testenv.Must(t, "get device config", err)
	dev.UpdatedAt = got.UpdatedAt
	if diff := cmp.Diff(dev, got); diff != "" {
		t.Errorf("device config (-want +got):\n%s", diff)
	}
	if err := st.PutDeviceSNMPConfig(ctx, 987654, dev); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("config of a missing device: %v, want ErrNotFound", err)
	}
	bad := dev
	bad.Version = "2c" // no community: the table refuses
	if err := st.PutDeviceSNMPConfig(ctx, d.ID, bad); err == nil {
		t.Errorf("a v2c config without community was stored")
	}

	var profileID int64
	testenv.Must(t, "profile", st.Pool().QueryRow(ctx, `INSERT INTO monitoring_profiles (name) VALUES ('p') RETURNING id`).Scan(&profileID))
	prof := store.SNMPProfileConfig{ExtraOIDs: json.RawMessage(`[{"name":"cpu","oid":"1.3.6.1.4.1.2636.3.1.13.1.8","role":"cpu","agg":"avg"}]`),
		Credentials: &store.SNMPConfig{Version: "2c", Port: 161, TimeoutMS: 2000, Retries: 1, MaxRepetitions: 10, CommunitySealed: "v1.bbbbbbbb.z"}}
	testenv.Must(t, "put profile config", st.PutProfileSNMPConfig(ctx, profileID, prof))
	other, err := st.CreateDevice(ctx, store.DeviceInput{Name: "rtr-2", IP: netip.MustParseAddr("127.0.0.2"), ProfileID: &profileID, Enabled: true})
	testenv.Must(t, "create device 2", err)
	cfgs, err := st.SNMPConfigs(ctx, []int64{d.ID, other.ID, 987654})
	testenv.Must(t, "configs", err)
	if len(cfgs) != 2 || cfgs[d.ID].Device == nil || cfgs[d.ID].Profile != nil {
		t.Fatalf("device 1 resolution: %+v", cfgs[d.ID])
	}
	c2 := cfgs[other.ID]
	if c2.Device != nil || c2.Profile == nil || c2.Profile.CommunitySealed != "v1.bbbbbbbb.z" || *c2.ProfileID != profileID {
		t.Fatalf("device 2 resolution: %+v", c2)
	}
	var extra []map[string]string
	if err := json.Unmarshal(c2.ExtraOIDs, &extra); err != nil || len(extra) != 1 || extra[0]["name"] != "cpu" {
		t.Errorf("extra OIDs %s (%v)", c2.ExtraOIDs, err)
	}
	ids, err := st.SNMPDeviceIDs(ctx)
	testenv.Must(t, "SNMP device ids", err)
	if diff := cmp.Diff([]int64{d.ID, other.ID}, ids); diff != "" {
		t.Errorf("SNMP device ids (-want +got):\n%s", diff)
	}
	n, err := st.CountSealedSNMPSecrets(ctx)
	testenv.Must(t, "count secrets", err)
	if n != 2 {
		t.Errorf("sealed secrets = %d, want 2 (one device, one profile)", n)
	}
	testenv.Must(t, "delete device config", st.DeleteDeviceSNMPConfig(ctx, d.ID))
	testenv.Must(t, "delete profile config", st.DeleteProfileSNMPConfig(ctx, profileID))
	if n, _ := st.CountSealedSNMPSecrets(ctx); n != 0 {
		t.Errorf("sealed secrets after deletes = %d", n)
	}
}

func TestSaveSNMPPollsRoundTrip(t *testing.T) {
	st, d := newSNMPStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := func(v uint64) *uint64 { return &v }
	f := func(v float64) *float64 { return &v }
	ticks := int64(123456)
	big := uint64(1<<63 + 12345) // a Counter64 above int64: must survive the bigint column
	ifs := []store.SNMPInterface{
		{DeviceID: d.ID, IfIndex: 1, Name: "Gi0/1", Alias: "WAN", Descr: "GigabitEthernet0/1", AdminStatus: "up", OperStatus: "up",
			SpeedBps: 1e9, InOctets: big, OutOctets: 42, InOctetsBits: 64, OutOctetsBits: 64, InErrors: u(1), OutErrors: u(2),
			InDiscards: u(3), OutDiscards: u(4294967295), DiscontinuityTicks: 77, InBps: f(1000), OutBps: f(2000),
			OverSpeedDrops: 3, LastChange: &at, PolledAt: at},
		{DeviceID: d.ID, IfIndex: 4294967295, Name: "", AdminStatus: "down", OperStatus: "down", InOctetsBits: 32, OutOctetsBits: 32, PolledAt: at},
	}
	rec := store.SNMPPollRecord{Success: true, Interfaces: ifs, State: store.SNMPDeviceState{DeviceID: d.ID, SysName: "rtr", SysDescr: "d",
		SysObjectID: "1.3.6.1.4.1.9", UptimeTicks: &ticks, UptimeSource: "sysUpTime", CPUPercent: f(12.5), Extra: map[string]float64{"x": 1},
		LastPoll: at, LastSuccess: &at, PollMS: f(33)},
		Events: []store.SNMPEvent{{DeviceID: d.ID, At: at, Kind: "if_up", FromStatus: "down", ToStatus: "up", Detail: map[string]any{"if_index": 1}}}}
	testenv.Must(t, "save", st.SaveSNMPPolls(ctx, []store.SNMPPollRecord{rec}))

	prev, err := st.SNMPPrevious(ctx, []int64{d.ID, 987654})
	testenv.Must(t, "previous", err)
	if diff := cmp.Diff(ifs, prev[d.ID].Interfaces); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rec.State, prev[d.ID].State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}

	// A failed poll keeps the baseline and records the error; interfaces stay.
	later := at.Add(time.Minute)
	fail := store.SNMPPollRecord{State: store.SNMPDeviceState{DeviceID: d.ID, LastPoll: later, PollMS: f(2000), LastError: "snmp timeout", LastErrorKind: "timeout"}}
	testenv.Must(t, "save failure", st.SaveSNMPPolls(ctx, []store.SNMPPollRecord{fail}))
	s, err := st.SNMPDeviceState(ctx, d.ID)
	testenv.Must(t, "state", err)
	if s.LastErrorKind != "timeout" || !s.LastPoll.Equal(later) || !s.LastSuccess.Equal(at) || *s.UptimeTicks != ticks || s.SysName != "rtr" {
		t.Errorf("state after failure = %+v", s)
	}
	if got, _ := st.SNMPInterfaces(ctx, d.ID); len(got) != 2 {
		t.Errorf("interfaces after failure: %d, want 2", len(got))
	}

	// A success that no longer lists an interface deletes it.
	rec.Interfaces = ifs[:1]
	rec.Events = nil
	testenv.Must(t, "save again", st.SaveSNMPPolls(ctx, []store.SNMPPollRecord{rec}))
	if got, _ := st.SNMPInterfaces(ctx, d.ID); len(got) != 1 || got[0].InOctets != big {
		t.Errorf("interfaces after the agent dropped one: %+v", got)
	}
	var events int
	testenv.Must(t, "count events", st.Pool().QueryRow(ctx, `SELECT count(*) FROM device_events WHERE device_id = $1 AND kind = 'if_up' AND from_status = 'down'`, d.ID).Scan(&events))
	if events != 1 {
		t.Errorf("if_up events = %d, want 1", events)
	}
}
