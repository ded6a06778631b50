package configfile

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a configuration file (the API refuses larger bodies too).
const MaxFileSize = 8 << 20

// Error is one problem of a file, at a line, naming the field by its path
// ("devices[3].branch"). Line is 0 when the problem has no place in the file.
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error formats "file:line: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors are the problems of one file, in file order; Apply returns them all at once.
type Errors []*Error

// Error joins the problems one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Document is a parsed file with the line of every field, for errors found after parsing.
type Document struct {
	File File
	// Name is the file name errors carry.
	Name string
	// present holds the top-level keys the file has (an absent list is left alone).
	present map[string]bool
	lines   map[string]int
}

// Has reports whether the file has the top-level list key (e.g. "devices").
func (d *Document) Has(key string) bool { return d.present[key] }

// At is the error at path, on the line of the path or of its nearest parent.
func (d *Document) At(path, format string, args ...any) *Error {
	return &Error{File: d.Name, Line: d.line(path), Field: path, Message: fmt.Sprintf(format, args...)}
}

func (d *Document) line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.lines[p]; ok {
			return l
		}
	}
	return 1
}

// parentPath drops the last element of a path: "a[1].b" → "a[1]" → "a".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Parse reads a configuration file strictly: unknown fields, wrong types, duplicate keys,
// aliases and a version other than Version are errors (all of them, in file order).
func Parse(name string, data []byte) (*Document, error) {
	d := &Document{Name: name, present: map[string]bool{}, lines: map[string]int{}}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Message: fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(name, err)}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, Errors{{File: name, Line: 1, Message: "the file is empty: it needs at least version: 1"}}
	}
	p := &parser{doc: d}
	top := root.Content[0]
	if top.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(top.Content); i += 2 {
			d.present[top.Content[i].Value] = true
		}
	}
	p.decode(top, reflect.ValueOf(&d.File).Elem(), "")
	if len(p.errs) == 0 && d.File.Version != Version {
		p.errs = append(p.errs, d.At("version", "must be %d", Version))
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return d, nil
}

// syntaxError turns yaml's "yaml: line 3: did not find expected key" into an Error.
func syntaxError(name string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, tail
			}
		}
	}
	return &Error{File: name, Line: line, Message: "YAML syntax: " + msg}
}

type parser struct {
	doc  *Document
	errs Errors
}

func (p *parser) fail(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.doc.Name, Line: n.Line, Field: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode writes node n into v, recording the line of path.
func (p *parser) decode(n *yaml.Node, v reflect.Value, path string) {
	if path != "" {
		p.doc.lines[path] = n.Line
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.fail(n, path, "anchors and aliases are not supported: write the value out")
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // null: the zero value (absent)
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		p.decode(n, nv.Elem(), path)
		v.Set(nv)
	case reflect.Struct:
		p.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.fail(n, path, "must be a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			p.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		p.decodeMap(n, v, path)
	default:
		p.decodeScalar(n, v, path)
	}
}

func (p *parser) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a mapping of fields")
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		f, ok := fields[k.Value]
		switch {
		case !ok:
			p.fail(k, fp, "unknown field (known: %s)", strings.Join(fieldNames(v.Type()), ", "))
			continue
		case seen[k.Value]:
			p.fail(k, fp, "given twice")
			continue
		}
		seen[k.Value] = true
		p.doc.lines[fp] = k.Line
		p.decode(val, v.FieldByIndex(f.index), fp)
		p.doc.lines[fp] = k.Line
	}
	for _, f := range orderedFields(v.Type()) {
		if f.required && !seen[f.name] {
			p.fail(n, join(path, f.name), "is required")
		}
	}
}

func (p *parser) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a mapping")
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "keys must be strings")
			continue
		}
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			p.fail(k, fp, "given twice")
			continue
		}
		ev := reflect.New(v.Type().Elem()).Elem()
		p.decode(val, ev, fp)
		p.doc.lines[fp] = k.Line
		m.SetMapIndex(reflect.ValueOf(k.Value), ev)
	}
	v.Set(m)
}

func (p *parser) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		p.fail(n, path, "must be %s", kindWord(v.Kind()))
		return
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool" && n.Tag != "!!timestamp" {
			err = errors.New("not a string")
		} else {
			v.SetString(n.Value)
		}
	case reflect.Int:
		var x int
		if n.Tag != "!!int" {
			err = errors.New("not an integer")
		} else if err = n.Decode(&x); err == nil {
			v.SetInt(int64(x))
		}
	case reflect.Float64:
		var x float64
		if n.Tag != "!!int" && n.Tag != "!!float" {
			err = errors.New("not a number")
		} else if err = n.Decode(&x); err == nil {
			v.SetFloat(x)
		}
	case reflect.Bool:
		if n.Tag != "!!bool" {
			err = errors.New("not a boolean")
		} else {
			v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
		}
	default:
		err = errors.New("unsupported")
	}
	if err != nil {
		p.fail(n, path, "must be %s, not %q", kindWord(v.Kind()), n.Value)
	}
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + k.String()
}

// field is one field of a file struct as its yaml tag and cfg tag declare it; index is its
// path for reflect's FieldByIndex (an embedded `yaml:",inline"` struct's fields are its own).
type field struct {
	name     string
	index    []int
	required bool
	tag      reflect.StructTag
}

func orderedFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if sf.Anonymous && name == "" && opts == "inline" {
			for _, f := range orderedFields(sf.Type) {
				f.index = append([]int{i}, f.index...)
				out = append(out, f)
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out = append(out, field{name: name, index: []int{i}, required: sf.Tag.Get("cfg") == "required", tag: sf.Tag})
	}
	return out
}

func structFields(t reflect.Type) map[string]field {
	m := map[string]field{}
	for _, f := range orderedFields(t) {
		m[f.name] = f
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for _, f := range orderedFields(t) {
		out = append(out, f.name)
	}
	slices.Sort(out)
	return out
}
