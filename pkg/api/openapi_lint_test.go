package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/wardops/wardops/pkg/api"
)

// loadContract parses and validates openapi.yaml with kin-openapi: the lint that CI runs
// (Redocly CLI, run by hand, agrees: docs/API.md). Any error fails the caller.
func loadContract(t testing.TB) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

// TestOpenAPIValid: the document is valid OpenAPI 3 (kin-openapi's validation, examples
// included), with zero errors.
func TestOpenAPIValid(t *testing.T) {
	loadContract(t)
}

// TestOpenAPIContractShape: what makes the document usable as a contract and for generating
// a client — every operation has a unique operationId, at least one success answer with a
// schema or an explicit empty body, its errors in the shared Error shape, and a security
// decision (public operations say security: []; the rest inherit bearer or session).
func TestOpenAPIContractShape(t *testing.T) {
	doc := loadContract(t)
	if doc.Components == nil || doc.Components.SecuritySchemes["bearerToken"] == nil ||
		doc.Components.SecuritySchemes["sessionCookie"] == nil || doc.Components.SecuritySchemes["csrfHeader"] == nil {
		t.Fatal("components.securitySchemes must define bearerToken, sessionCookie and csrfHeader")
	}
	if len(doc.Security) == 0 {
		t.Error("the document has no global security requirement")
	}
	errSchema := doc.Components.Schemas["Error"]
	if errSchema == nil {
		t.Fatal("components.schemas.Error is missing")
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also %s", where, op.OperationID, prev)
			}
			ids[op.OperationID] = where
			checkResponses(t, where, op, errSchema)
			if (method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE") && op.Security == nil {
				t.Errorf("%s: a write must say its security (bearer, or session with the CSRF header; [] if public)", where)
			}
		}
	}
}

func checkResponses(t *testing.T, where string, op *openapi3.Operation, errSchema *openapi3.SchemaRef) {
	t.Helper()
	success := false
	for code, ref := range op.Responses.Map() {
		r := ref.Value
		switch {
		case strings.HasPrefix(code, "2"):
			success = true
			if code != "204" && code != "202" && len(r.Content) == 0 {
				t.Errorf("%s %s: a success answer without a content schema", where, code)
			}
		case strings.HasPrefix(code, "4") || strings.HasPrefix(code, "5"):
			mt := r.Content.Get("application/json")
			if mt == nil {
				if r.Content.Get("text/html") == nil {
					t.Errorf("%s %s: an error answer without application/json content", where, code)
				}
				continue
			}
			if mt.Schema == nil || (mt.Schema.Value != errSchema.Value && mt.Schema.Ref != "#/components/schemas/ImportErrors" &&
				mt.Schema.Ref != "#/components/schemas/HealthReport" && mt.Schema.Ref != "#/components/schemas/HealthDetail") {
				t.Errorf("%s %s: an error answer that is not the shared Error schema", where, code)
			}
		}
	}
	if !success && !hasRedirect(op) {
		t.Errorf("%s: no 2xx answer", where)
	}
}

func hasRedirect(op *openapi3.Operation) bool {
	return op.Responses.Value("302") != nil || op.Responses.Value("303") != nil
}
