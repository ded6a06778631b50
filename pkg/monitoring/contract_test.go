package monitoring_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/api/apicontract"
)

// contractCheck validates every exchange of these tests with the API (the task control
// routes) against pkg/api/openapi.yaml: it is http.DefaultClient's transport, and start
// watches the server it starts (docs/API.md).
var contractCheck *apicontract.Checker

func TestMain(m *testing.M) {
	ct, err := apicontract.New(api.OpenAPI, http.DefaultTransport)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi.yaml:", err)
		os.Exit(2)
	}
	contractCheck = ct
	http.DefaultClient.Transport = ct
	os.Exit(m.Run())
}
