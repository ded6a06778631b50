package configfile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// ops lists a result's changes as "op kind name".
func ops(res *configfile.Result) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, string(c.Op)+" "+c.Kind+" "+c.Name)
	}
	return out
}

const small = `version: 1
regions:
  - name: North
branches:
  - name: Olten
    region: North
devices:
  - name: olten-rtr-01
    ip: 127.0.0.11
    branch: Olten
  - name: olten-atm-01
    ip: 127.0.0.12
    branch: Olten
    parent: olten-rtr-01
`

// TestDryRun: a dry run reports the diff and changes nothing, and writes no audit row.
func TestDryRun(t *testing.T) {
	ctx := t.Context()
	svc, st := newService(t)
	before := export(t, ctx, svc)
	res := apply(t, ctx, svc, "small.yaml", []byte(small), configfile.Options{DryRun: true})
	want := []string{"create region North", "create branch Olten", "create device olten-rtr-01", "create device olten-atm-01"}
	if diff := cmp.Diff(want, ops(res)); diff != "" {
		t.Fatalf("dry-run diff (-want +got):\n%s", diff)
	}
	if after := export(t, ctx, svc); string(after) != string(before) {
		t.Fatalf("dry run changed the database:\n%s", cmp.Diff(string(before), string(after)))
	}
	rows, _, err := st.ListAudit(ctx, store.AuditFilter{})
	testenv.Must(t, "list audit", err)
	if len(rows) != 0 {
		t.Fatalf("dry run wrote %d audit rows", len(rows))
	}
}

// TestUpdateDiffAndAudit: a changed field shows in the diff with its old and new values, and
// the apply is audited: a config.apply row with the summary and a before/after row.
func TestUpdateDiffAndAudit(t *testing.T) {
	ctx := t.Context()
	svc, st := newService(t)
	apply(t, ctx, svc, "small.yaml", []byte(small), configfile.Options{})
	changed := strings.Replace(small, "ip: 127.0.0.12", "ip: 127.0.0.13\n    vendor: NCR", 1)
	res := apply(t, ctx, svc, "small.yaml", []byte(changed), configfile.Options{})
	want := []configfile.Change{{Kind: "device", Name: "olten-atm-01", Op: configfile.OpUpdate, Fields: []configfile.FieldChange{
		{Field: "ip", Old: "127.0.0.12", New: "127.0.0.13"}, {Field: "vendor", Old: nil, New: "NCR"}}}}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Fatalf("diff (-want +got):\n%s", diff)
	}
	var text strings.Builder
	testenv.Must(t, "write text", res.WriteText(&text))
	wantText := "~ device olten-atm-01\n    ip: \"127.0.0.12\" → \"127.0.0.13\"\n    vendor: (none) → \"NCR\"\n0 to create, 1 to update, 0 to delete (applied)\n"
	if diff := cmp.Diff(wantText, text.String()); diff != "" {
		t.Fatalf("text (-want +got):\n%s", diff)
	}
	applies, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "config.apply"})
	testenv.Must(t, "list audit", err)
	if len(applies) != 2 || !strings.Contains(string(applies[0].Detail), `"update": 1`) {
		t.Fatalf("config.apply rows: %d, newest detail %s", len(applies), applies[0].Detail)
	}
	upd, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "device.update"})
	testenv.Must(t, "list audit", err)
	if len(upd) != 1 || !strings.Contains(string(upd[0].Before), "127.0.0.12") || !strings.Contains(string(upd[0].After), "127.0.0.13") {
		t.Fatalf("device.update rows: %+v", upd)
	}
}

// TestPrune: objects of the file's lists that the file leaves out are deleted (a device
// softly: its history stays), lists the file leaves out are kept, and without --prune nothing
// is deleted.
func TestPrune(t *testing.T) {
	ctx := t.Context()
	svc, st := newService(t)
	apply(t, ctx, svc, "small.yaml", []byte(small), configfile.Options{})
	atm, err := st.DevicesByName(ctx, []string{"olten-atm-01"})
	testenv.Must(t, "read atm", err)
	fewer := strings.Split(small, "  - name: olten-atm-01")[0] // no atm; rules etc. absent: kept
	if res := apply(t, ctx, svc, "fewer.yaml", []byte(fewer), configfile.Options{}); len(res.Changes) != 0 {
		t.Fatalf("apply without prune changed %v", ops(res))
	}
	res := apply(t, ctx, svc, "fewer.yaml", []byte(fewer), configfile.Options{Prune: true})
	if diff := cmp.Diff([]string{"delete device olten-atm-01"}, ops(res)); diff != "" {
		t.Fatalf("prune (-want +got):\n%s", diff)
	}
	var deleted bool
	err = st.Pool().QueryRow(ctx, `SELECT deleted_at IS NOT NULL FROM devices WHERE id = $1`, atm[0].ID).Scan(&deleted)
	testenv.Must(t, "read deleted device", err)
	if !deleted {
		t.Fatal("the pruned device's row is gone or not marked deleted (want a soft delete)")
	}
	rules, err := st.ListAlertRules(ctx)
	testenv.Must(t, "list rules", err)
	if len(rules) == 0 {
		t.Fatal("prune deleted the rules of a list the file leaves out")
	}
	// an empty list prunes everything in it, dependants first
	res = apply(t, ctx, svc, "none.yaml", []byte("version: 1\nregions: []\nbranches: []\ndevices: []\n"), configfile.Options{Prune: true})
	want := []string{"delete device olten-rtr-01", "delete branch Olten", "delete region North"}
	if diff := cmp.Diff(want, ops(res)); diff != "" {
		t.Fatalf("prune of empty lists (-want +got):\n%s", diff)
	}
}

// TestAllOrNothing: an error met by the last write (a channel the notify service refuses,
// after regions, branches, devices and rules were written) leaves the database unchanged.
func TestAllOrNothing(t *testing.T) {
	ctx := t.Context()
	svc, _ := newService(t)
	before := export(t, ctx, svc)
	bad := strings.Replace(string(readFixture(t, "full.yaml")), "      host: smtp.example.com\n", "", 1)
	_, err := svc.Apply(ctx, parse(t, "full.yaml", []byte(bad)), configfile.Options{})
	var es configfile.Errors
	if !errors.As(err, &es) || es.Error() != "full.yaml:99: channels[1].config.host: is required for an email channel" {
		t.Fatalf("want the email channel's error, got %v", err)
	}
	if after := export(t, ctx, svc); string(after) != string(before) {
		t.Fatalf("a failed apply left changes:\n%s", cmp.Diff(string(before), string(after)))
	}
}
