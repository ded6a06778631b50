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

const snmpProfile = `version: 1
profiles:
  - name: branch-v2
    snmp:
      version: 2c
      community: ${env:BRANCH_COMMUNITY}
`

// TestProfileSNMPSecrets: a profile's community is sealed at rest, a second apply with the
// same value changes nothing, a new value shows as "(changed)" (never the value, in the diff
// or the audit), and leaving the snmp block out removes the stored settings.
func TestProfileSNMPSecrets(t *testing.T) {
	ctx := t.Context()
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	testenv.Must(t, "secret box", err)
	env := map[string]string{"BRANCH_COMMUNITY": "first-community"}
	svc := configfile.New(configfile.Params{Store: st, Sealer: box, SNMPSecrets: box, Resolver: configfile.Resolver{
		LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}})
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st, Secrets: box})
	testenv.Must(t, "snmp service", err)
	community := func() string {
		t.Helper()
		ps, err := st.ListProfiles(ctx)
		testenv.Must(t, "list profiles", err)
		for _, p := range ps {
			if p.Name != "branch-v2" {
				continue
			}
			row, err := st.ProfileSNMPConfig(ctx, p.ID)
			testenv.Must(t, "read profile SNMP", err)
			if strings.Contains(row.Credentials.CommunitySealed, "community") {
				t.Fatalf("community stored in clear: %q", row.Credentials.CommunitySealed)
			}
			set, err := snmpSvc.RevealedProfileSettings(ctx, p.ID)
			testenv.Must(t, "reveal profile SNMP", err)
			return set.Credentials.Community.Reveal()
		}
		t.Fatal("profile branch-v2 not stored")
		return ""
	}

	apply(t, ctx, svc, "snmp.yaml", []byte(snmpProfile), configfile.Options{})
	if got := community(); got != "first-community" {
		t.Fatalf("stored community %q", got)
	}
	if res := apply(t, ctx, svc, "snmp.yaml", []byte(snmpProfile), configfile.Options{}); len(res.Changes) != 0 {
		t.Fatalf("second apply changed %+v", res.Changes)
	}

	env["BRANCH_COMMUNITY"] = "second-community"
	res := apply(t, ctx, svc, "snmp.yaml", []byte(snmpProfile), configfile.Options{})
	var text strings.Builder
	testenv.Must(t, "write text", res.WriteText(&text))
	want := "~ profile branch-v2\n    snmp.community: (set) → (changed)\n0 to create, 1 to update, 0 to delete (applied)\n"
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
	if !strings.Contains(string(exported), "community: ${env:WARDOPS_PROFILE_BRANCH_V2_COMMUNITY}") {
		t.Fatalf("export lacks the community reference:\n%s", exported)
	}

	bare := strings.Split(snmpProfile, "    snmp:")[0]
	res = apply(t, ctx, svc, "bare.yaml", []byte(bare), configfile.Options{})
	var fields []string
	for _, c := range res.Changes {
		for _, f := range c.Fields {
			fields = append(fields, c.Name+" "+f.Field)
		}
	}
	if diff := cmp.Diff([]string{"branch-v2 snmp", "branch-v2 snmp.community"}, fields); diff != "" {
		t.Fatalf("removing the snmp block (-want +got):\n%s", diff)
	}
	if strings.Contains(string(export(t, ctx, svc)), "snmp:") {
		t.Fatal("the profile's SNMP settings were kept")
	}
}
