package monitoring_test

import (
	"os"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
)

// contractCheck validates every exchange of these tests with the API (the task control
// routes) against pkg/api/openapi.yaml: it is http.DefaultClient's transport, and start
// watches the server it starts (docs/API.md).
var contractCheck *apicontract.Checker

func TestMain(m *testing.M) { os.Exit(apicontract.RunTests(m, api.OpenAPI, &contractCheck)) }
