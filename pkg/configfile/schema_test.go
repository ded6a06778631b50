package configfile_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/configfile"
)

const schemaFile = "../../docs/wardops-config.schema.json"

// TestSchemaInSync: the published schema is the one generated from the types (regenerate it
// with WARDOPS_UPDATE_SCHEMA=1 go test ./pkg/configfile -run TestSchemaInSync).
func TestSchemaInSync(t *testing.T) {
	got := configfile.Schema()
	if !json.Valid(got) {
		t.Fatal("schema is not JSON")
	}
	if os.Getenv("WARDOPS_UPDATE_SCHEMA") != "" {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("read %s: %v (generate it with WARDOPS_UPDATE_SCHEMA=1)", schemaFile, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s is out of date (-file +generated); regenerate with WARDOPS_UPDATE_SCHEMA=1:\n%s", schemaFile, diff)
	}
}

// TestSchemaAcceptsFixture checks the full fixture against the schema's closed objects and
// required fields, with a small walker (the project has no JSON Schema validator).
func TestSchemaAcceptsFixture(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(configfile.Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, "full.yaml", readFixture(t, "full.yaml"))
	raw, err := json.Marshal(yamlToJSONable(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if errs := check(schema, v, ""); len(errs) > 0 {
		t.Fatalf("the fixture breaks the schema: %v", errs)
	}
	bad := map[string]any{"version": 1.0, "devices": []any{map[string]any{"name": "a", "colour": "red"}}}
	if errs := check(schema, bad, ""); len(errs) != 2 { // colour unknown, ip missing
		t.Fatalf("schema accepts a bad file: %v", errs)
	}
}

// yamlToJSONable re-encodes the parsed fixture through the exporter's YAML so that the
// check sees exactly the keys a file has.
func yamlToJSONable(t *testing.T, doc *configfile.Document) any {
	t.Helper()
	b, err := configfile.Encode(&doc.File)
	if err != nil {
		t.Fatal(err)
	}
	return fromYAML(t, b)
}

func check(s map[string]any, v any, path string) []string {
	var errs []string
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range m {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, check(ps, val, path+"."+k)...)
			} else if s["additionalProperties"] == false {
				errs = append(errs, path+"."+k+": not allowed")
			}
		}
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := m[r.(string)]; !ok {
				errs = append(errs, path+"."+r.(string)+": required")
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return []string{path + ": not an array"}
		}
		for _, item := range a {
			errs = append(errs, check(s["items"].(map[string]any), item, path+"[]")...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			errs = append(errs, path+": not a string")
		}
	case "integer", "number":
		if _, ok := v.(float64); !ok {
			errs = append(errs, path+": not a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, path+": not a boolean")
		}
	}
	return errs
}
