package auth_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
)

// contractCheck validates every exchange of these tests with the auth, user, token and audit
// routes against pkg/api/openapi.yaml (docs/API.md): the fixture's clients and
// http.DefaultClient send through it, and the fixture watches its server, less the stand-in
// routes it mounts where the real API has devices, alerts and health.
var contractCheck *apicontract.Checker

// standIns are the paths the fixture and its tests answer with stand-ins (mountDummies, the
// identity probe).
var standIns = []string{"/health", "/devices", "/devices/standalone/list", "/alerts/{id}/ack", "/test/identity"}

func TestMain(m *testing.M) {
	ct, err := apicontract.New(api.OpenAPI, http.DefaultTransport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.yaml:", err)
		os.Exit(2)
	}
	contractCheck = ct
	http.DefaultClient.Transport = ct
	code := m.Run()
	if n, total := ct.Coverage(); n > 0 {
		fmt.Printf("contract: %d of %d operations of openapi.yaml exercised and validated\n", n, total)
	}
	os.Exit(code)
}
