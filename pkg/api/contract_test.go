package api_test

import (
	"os"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
)

// The contract check: every request a test sends to an API server it registered with
// checkContract, and every answer, is validated against openapi.yaml (package apicontract:
// an answer the document does not describe fails the test, and so does a request the document
// refuses that the server accepted).
//
// It is http.DefaultClient's transport (set in TestMain), so call/jsonCall, harness.System.Do
// and http.Get are checked; a test's own client takes contractCheck as its Transport.
// (http.DefaultTransport itself stays: production code clones it as an *http.Transport.)
var contractCheck *apicontract.Checker

func TestMain(m *testing.M) { os.Exit(apicontract.RunTests(m, api.OpenAPI, &contractCheck)) }

// checkContract validates every exchange with the API at baseURL against openapi.yaml until
// t ends; a mismatch is reported on t.
func checkContract(t testing.TB, baseURL string) {
	t.Helper()
	contractCheck.Watch(t, baseURL)
}
