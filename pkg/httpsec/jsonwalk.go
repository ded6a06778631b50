package httpsec

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkDocument walks the token stream of raw alongside the destination type t and rejects what
// encoding/json would silently accept: duplicate keys, keys matching a struct field only by
// case, excessive depth, and trailing data. It also names unknown fields by their full path.
func checkDocument(raw []byte, t reflect.Type) error {
	w := walker{dec: json.NewDecoder(bytes.NewReader(raw))}
	w.dec.UseNumber()
	if err := w.value(t, "", 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return badRequest(CodeTrailingData, "unexpected data after the JSON value", "")
	}
	return nil
}

type walker struct {
	dec *json.Decoder
}

func (w *walker) token() (json.Token, error) {
	tok, err := w.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, badRequest(CodeInvalidJSON, fmt.Sprintf("malformed JSON at byte %d", se.Offset), "")
	}
	return nil, badRequest(CodeInvalidJSON, "malformed or truncated JSON", "")
}

func (w *walker) value(t reflect.Type, path string, depth int) error {
	tok, err := w.token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its type is checked by encoding/json
	}
	if depth >= maxJSONDepth {
		return badRequest(CodeInvalidJSON, "JSON is nested too deeply", path)
	}
	t = structural(t)
	if d == '[' {
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		return w.array(elem, path, depth)
	}
	return w.object(t, path, depth)
}

func (w *walker) array(elem reflect.Type, path string, depth int) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(elem, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
			return err
		}
	}
	_, err := w.token() // ']'
	return err
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	var fields map[string]reflect.Type
	isStruct := t != nil && t.Kind() == reflect.Struct
	if isStruct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, err := w.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		field := joinPath(path, key)
		fk := foldKey(key)
		if seen[fk] {
			return badRequest(CodeDuplicateField, "field appears more than once", field)
		}
		seen[fk] = true
		var ft reflect.Type
		switch {
		case isStruct:
			var ok bool
			if ft, ok = fields[key]; !ok {
				return badRequest(CodeUnknownField, "unknown field", field)
			}
		case t != nil && t.Kind() == reflect.Map:
			ft = t.Elem()
		}
		if err := w.value(ft, field, depth+1); err != nil {
			return err
		}
	}
	_, err := w.token() // '}'
	return err
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structural returns the type whose shape the JSON must follow, or nil when the type decodes
// itself (json.Unmarshaler, TextUnmarshaler, interfaces): those are walked for duplicates only.
func structural(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(jsonUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		return nil
	}
	return t
}

// jsonFields maps the exact JSON names of t's fields (promoted ones included) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && structural(f.Type) != nil && structural(f.Type).Kind() == reflect.Struct {
			continue // its fields are promoted and listed on their own
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup {
			out[name] = f.Type
		}
	}
	return out
}

// foldKey maps every rune to the smallest member of its Unicode simple-fold orbit, the same
// equivalence encoding/json uses to match keys to fields (so "K" U+212A equals "k").
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}
