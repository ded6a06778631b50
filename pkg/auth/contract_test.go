package auth_test

import (
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

func TestMain(m *testing.M) { os.Exit(apicontract.RunTests(m, api.OpenAPI, &contractCheck)) }
