package fleetsim_test

import (
	"net/http"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
	"github.com/wardops/wardops/tools/fleet/fleetsim"
)

// TestClientAgainstTheAPI: the fleet tool's client, which speaks through the client generated
// from openapi.yaml (pkg/apiclient), against a running API with every exchange validated
// against the document: it tells an admin's token from a viewer's, imports a fleet, finds it
// again, deletes it, and deleting what is gone is no error.
func TestClientAgainstTheAPI(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	ct, err := apicontract.New(api.OpenAPI, nil)
	testenv.Must(t, "load openapi.yaml", err)
	ct.Watch(t, sys.URL)
	ctx := t.Context()
	hc := &http.Client{Transport: ct}

	viewer := &fleetsim.Client{Base: sys.URL, Token: authtest.Token(t, sys.Auth, auth.RoleViewer), HTTP: hc}
	if err := viewer.Check(ctx); err == nil {
		t.Error("Check with a viewer's token: no error, want \"not an admin's\"")
	}
	c := &fleetsim.Client{Base: sys.URL, Token: sys.Token, HTTP: hc, Parallel: 4}
	testenv.Must(t, "check", c.Check(ctx))

	plan, err := fleetsim.Plan(40)
	testenv.Must(t, "plan", err)
	created, updated, err := c.Import(ctx, plan)
	testenv.Must(t, "import", err)
	if created != len(plan) || updated != 0 {
		t.Fatalf("import: %d created, %d updated; want %d, 0", created, updated, len(plan))
	}
	if created, updated, err = c.Import(ctx, plan); err != nil || created != 0 || updated != len(plan) {
		t.Errorf("import again: %d created, %d updated, %v; want 0, %d", created, updated, err, len(plan))
	}
	listed, err := c.ListFleet(ctx)
	testenv.Must(t, "list the fleet", err)
	if len(listed) != len(plan) {
		t.Fatalf("the fleet lists %d devices, want %d", len(listed), len(plan))
	}
	names := map[string]bool{}
	ids := make([]int64, len(listed))
	for i, l := range listed {
		names[l.Name], ids[i] = true, l.ID
	}
	for _, d := range plan {
		if !names[d.Name] {
			t.Errorf("device %s of the plan is not listed", d.Name)
		}
	}
	testenv.Must(t, "delete the fleet", c.Delete(ctx, ids))
	testenv.Must(t, "delete it again", c.Delete(ctx, ids[:3]))
	if listed, err = c.ListFleet(ctx); err != nil || len(listed) != 0 {
		t.Errorf("after the delete the fleet lists %d devices (%v), want none", len(listed), err)
	}
}
