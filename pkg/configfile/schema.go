package configfile

import (
	"encoding/json"
	"reflect"
	"strings"
)

// SchemaID is the $id of the file's JSON Schema.
const SchemaID = "https://wardops.example/schemas/wardops-config.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the file, generated from the types Parse
// decodes into: every mapping closed (additionalProperties false, as Parse refuses unknown
// fields), required fields, enums and the secret reference pattern. docs/wardops-config.schema.json
// is this document; a test keeps the two the same.
func Schema() []byte {
	s := schemaOf(reflect.TypeOf(File{}), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "WardOps configuration file (wardops.yaml)"
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic("configfile: schema does not marshal: " + err.Error()) // built from literals: a programming error
	}
	return append(b, '\n')
}

func schemaOf(t reflect.Type, tag reflect.StructTag) map[string]any {
	out := map[string]any{}
	if d := tag.Get("doc"); d != "" {
		out["description"] = d
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for _, f := range orderedFields(t) {
			props[f.name] = schemaOf(t.FieldByIndex(f.index).Type, f.tag)
			if f.required {
				required = append(required, f.name)
			}
		}
		out["type"], out["properties"], out["additionalProperties"] = "object", props, false
		if required != nil {
			out["required"] = required
		}
	case reflect.Slice:
		item := schemaOf(t.Elem(), "")
		if e := tag.Get("enum"); e != "" {
			item["enum"] = strings.Split(e, "|")
		}
		out["type"], out["items"] = "array", item
	case reflect.Map:
		val := map[string]any{"type": "string"}
		if p := tag.Get("pattern"); p != "" {
			val["pattern"] = p
		}
		out["type"], out["additionalProperties"] = "object", val
		if k := tag.Get("keys"); k != "" {
			out["propertyNames"] = map[string]any{"enum": strings.Split(k, "|")}
		}
	case reflect.String:
		out["type"] = "string"
		if e := tag.Get("enum"); e != "" {
			out["enum"] = strings.Split(e, "|")
		}
		if p := tag.Get("pattern"); p != "" {
			out["pattern"] = p
		}
	case reflect.Int:
		out["type"] = "integer"
	case reflect.Float64:
		out["type"] = "number"
	case reflect.Bool:
		out["type"] = "boolean"
	}
	return out
}
