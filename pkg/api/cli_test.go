package api_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestConfigCLI runs `api region|branch|profile …` on a real database: creates with
// FIELD=VALUE arguments, the API's validation errors as "field: message", lists, updates,
// deletes, and an audit row per write.
func TestConfigCLI(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	p := api.ConfigCLIParams{Store: st, Redis: testenv.NewRedis(t), Audit: audit.New(st, nil, nil)}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := api.RunConfigCLI(context.Background(), args, p, &out)
		return out.String(), err
	}
	steps := []struct {
		args    []string
		want    string // in the output
		wantErr string
	}{
		{[]string{"region", "create", "name=North", "description=Zurich area"}, `"name": "North"`, ""},
		{[]string{"branch", "create", "name=Olten", "region=north", "time_zone=Europe/Zurich", "latitude=47.35", "longitude=7.9"}, `"region": "North"`, ""},
		{[]string{"branch", "create", "name=Bern", "time_zone=Mars/Base"}, "", `time_zone: time_zone "Mars/Base" is not an IANA time zone name`},
		{[]string{"branch", "create", "name=Bern", "region=Sotuh"}, "", `region: region "Sotuh" does not exist`},
		{[]string{"profile", "create", "name=wan", "ping_count=5", `device_types=["atm"]`}, `"ping_count": 5`, ""},
		{[]string{"profile", "create", "name=bad", "ping_count=50"}, "", "ping_count: ping_count must be from 1 to 20"},
		{[]string{"profile", "update", "2", "degraded_loss_pct=34"}, `"degraded_loss_pct": 34`, ""},
		{[]string{"profile", "list"}, "wan", ""},
		{[]string{"branch", "list"}, "Olten", ""},
		{[]string{"region", "show", "1"}, `"branches": 1`, ""},
		{[]string{"region", "delete", "1"}, "", "the region still has branches"},
		{[]string{"branch", "delete", "1"}, "branch 1 deleted", ""},
		{[]string{"region", "frobnicate", "1"}, "", "usage: unknown command region frobnicate"},
		{[]string{"profile", "create", "nameless"}, "", `usage: "nameless" is not FIELD=VALUE`},
	}
	for _, s := range steps {
		out, err := run(s.args...)
		switch {
		case s.wantErr == "" && err != nil:
			t.Errorf("%v: %v", s.args, err)
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Errorf("%v: error %v, want %q", s.args, err, s.wantErr)
		case !strings.Contains(out, s.want):
			t.Errorf("%v: output %q, want %q in it", s.args, out, s.want)
		}
	}
	if _, err := run("region"); !errors.Is(err, api.ErrCLIUsage) {
		t.Errorf("bare region: %v, want a usage error", err)
	}
	var n int
	testenv.Must(t, "count audit", st.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE action IN ('region.create','branch.create','profile.create','profile.update','branch.delete')`).Scan(&n))
	if n != 5 {
		t.Errorf("%d audit rows for the CLI's 5 writes", n)
	}
}
