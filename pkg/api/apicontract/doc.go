// Package apicontract checks HTTP exchanges against the API's OpenAPI document
// (pkg/api/openapi.yaml) with kin-openapi's openapi3filter, for tests: a Checker is an
// http.RoundTripper that validates every request to and answer from a watched API server.
// An answer the document does not describe (status, headers, body) is a test failure; so is a
// request the document refuses that the server accepted (2xx/3xx), since the two then
// disagree about what is valid. Requests both refuse are the tests of bad input, and pass.
//
// The API's own tests (pkg/api) put a Checker on http.DefaultClient in TestMain and watch
// every server they start; other tests watch the API they drive the same way:
//
//	ct, _ := apicontract.New(api.OpenAPI, nil)
//	client := &http.Client{Transport: ct}
//	ct.Watch(t, sys.URL)
package apicontract
