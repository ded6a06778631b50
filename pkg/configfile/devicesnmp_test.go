package configfile_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

const snmpDevice = `version: 1
devices:
  - name: edge-sw-01
    ip: 127.0.0.31
    snmp:
      version: 2c
      community: ${env:EDGE_COMMUNITY}
`

// TestDeviceSNMPSecrets: a device's own community is sealed at rest, a dry run stores
// nothing, a second apply with the same value changes nothing, a new value shows as
// "(changed)" (never the value, in the diff, the audit or the export), and leaving the snmp
// block out removes the device's stored settings.
func TestDeviceSNMPSecrets(t *testing.T) {
	ctx := t.Context()
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	testenv.Must(t, "secret box", err)
	env := map[string]string{"EDGE_COMMUNITY": "first-community"}
	svc := configfile.New(configfile.Params{Store: st, Sealer: box, SNMPSecrets: box, Resolver: configfile.Resolver{
		LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}})
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st, Secrets: box})
	testenv.Must(t, "snmp service", err)
	deviceID := func() int64 {
		t.Helper()
		ds, err := st.DevicesByName(ctx, []string{"edge-sw-01"})
		testenv.Must(t, "devices by name", err)
		if len(ds) == 0 {
			return 0
		}
		return ds[0].ID
	}
	community := func() string {
		t.Helper()
		id := deviceID()
		if id == 0 {
			t.Fatal("device edge-sw-01 not stored")
		}
		row, err := st.DeviceSNMPConfig(ctx, id)
		testenv.Must(t, "read device SNMP", err)
		if strings.Contains(row.CommunitySealed, "community") {
			t.Fatalf("community stored in clear: %q", row.CommunitySealed)
		}
		set, err := snmpSvc.RevealedDeviceSettings(ctx, id)
		testenv.Must(t, "reveal device SNMP", err)
		return set.Community.Reveal()
	}

	apply(t, ctx, svc, "snmp.yaml", []byte(snmpDevice), configfile.Options{DryRun: true})
	if deviceID() != 0 {
		t.Fatal("the dry run stored the device")
	}
	apply(t, ctx, svc, "snmp.yaml", []byte(snmpDevice), configfile.Options{})
	if got := community(); got != "first-community" {
		t.Fatalf("stored community %q", got)
	}
	if res := apply(t, ctx, svc, "snmp.yaml", []byte(snmpDevice), configfile.Options{}); len(res.Changes) != 0 {
		t.Fatalf("second apply changed %+v", res.Changes)
	}

	env["EDGE_COMMUNITY"] = "second-community"
	res := apply(t, ctx, svc, "snmp.yaml", []byte(snmpDevice), configfile.Options{DryRun: true})
	if got := community(); got != "first-community" {
		t.Fatalf("the dry run changed the community to %q", got)
	}
	res = apply(t, ctx, svc, "snmp.yaml", []byte(snmpDevice), configfile.Options{})
	var text strings.Builder
	testenv.Must(t, "write text", res.WriteText(&text))
	want := "~ device edge-sw-01\n    snmp.community: (set) → (changed)\n0 to create, 1 to update, 0 to delete (applied)\n"
	if diff := cmp.Diff(want, text.String()); diff != "" {
		t.Fatalf("diff (-want +got):\n%s", diff)
	}
	if got := community(); got != "second-community" {
		t.Fatalf("stored community %q after the change", got)
	}
	rows, _, err := st.ListAudit(ctx, store.AuditFilter{})
	testenv.Must(t, "list audit", err)
	for _, r := range rows {
		if all := string(r.Before) + string(r.After) + string(r.Detail); strings.Contains(all, "-community") {
			t.Fatalf("audit row %s holds a community: %s", r.Action, all)
		}
	}
	exported := export(t, ctx, svc)
	if strings.Contains(string(exported), "-community") {
		t.Fatalf("export holds the community:\n%s", exported)
	}
	if !strings.Contains(string(exported), "community: ${env:WARDOPS_DEVICE_EDGE_SW_01_COMMUNITY}") {
		t.Fatalf("export lacks the community reference:\n%s", exported)
	}

	bare := strings.Split(snmpDevice, "    snmp:")[0]
	res = apply(t, ctx, svc, "bare.yaml", []byte(bare), configfile.Options{})
	var fields []string
	for _, c := range res.Changes {
		for _, f := range c.Fields {
			fields = append(fields, c.Name+" "+f.Field)
		}
	}
	if diff := cmp.Diff([]string{"edge-sw-01 snmp", "edge-sw-01 snmp.community"}, fields); diff != "" {
		t.Fatalf("removing the snmp block (-want +got):\n%s", diff)
	}
	if set, err := snmpSvc.DeviceSettings(ctx, deviceID()); err != nil || set != nil {
		t.Fatalf("the device's SNMP settings were kept: %+v, %v", set, err)
	}
}
