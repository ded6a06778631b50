package inventory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wardops/wardops/pkg/store"
)

// CSVColumns are the columns an import understands; name and ip are required, the rest
// optional and in any order (the header line names them).
var CSVColumns = []string{"name", "ip", "branch", "region", "type", "vendor", "parent", "labels", "enabled"}

// MaxImportRows bounds one import.
const MaxImportRows = 200000

// LineError is a problem on one line of an import.
type LineError struct {
	Line   int    `json:"line"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"message"`
}

func (e LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Reason)
}

// ImportRow is one valid line: the device and its parent's name ("" for none).
type ImportRow struct {
	Line   int
	Device store.DeviceInput
	Parent string
}

// ParseCSV reads a whole import. It returns every valid row and every line error; callers
// write nothing unless errs is empty, and check parents outside the file with CheckParents.
func ParseCSV(r io.Reader) (rows []ImportRow, errs []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, []LineError{{Line: 1, Reason: "cannot read the header line: " + errText(err)}}
	}
	cols, herr := headerIndex(header)
	if herr != nil {
		return nil, []LineError{*herr}
	}
	names := map[string]int{}
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// FieldPos panics when the first field itself is malformed: the error knows the line
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, LineError{Line: pe.StartLine, Reason: errText(err)})
				continue
			}
			errs = append(errs, LineError{Line: line + 1, Reason: errText(err)}) // a read error: after the last record
			break
		}
		line, _ = cr.FieldPos(0)
		if len(rows)+len(errs) >= MaxImportRows {
			errs = append(errs, LineError{Line: line, Reason: fmt.Sprintf("more than %d rows; split the file", MaxImportRows)})
			break
		}
		row, lerr := parseRow(line, rec, cols)
		if lerr != nil {
			errs = append(errs, *lerr)
			continue
		}
		if prev, dup := names[row.Device.Name]; dup {
			errs = append(errs, LineError{Line: line, Field: "name", Reason: fmt.Sprintf("duplicate of line %d", prev)})
			continue
		}
		names[row.Device.Name] = line
		rows = append(rows, row)
	}
	return rows, errs
}

// ExternalParents lists the parent names that the file itself does not define.
func ExternalParents(rows []ImportRow) []string {
	inFile := make(map[string]bool, len(rows))
	for _, r := range rows {
		inFile[r.Device.Name] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Parent != "" && !inFile[r.Parent] && !seen[r.Parent] {
			seen[r.Parent] = true
			out = append(out, r.Parent)
		}
	}
	return out
}

// CheckParents reports rows whose parent is neither in the file nor in the inventory
// (inInventory says which external names exist), and rows that are their own parent.
func CheckParents(rows []ImportRow, inInventory map[string]bool) []LineError {
	inFile := make(map[string]bool, len(rows))
	for _, r := range rows {
		inFile[r.Device.Name] = true
	}
	var errs []LineError
	for _, r := range rows {
		switch {
		case r.Parent == "":
		case r.Parent == r.Device.Name:
			errs = append(errs, LineError{Line: r.Line, Field: "parent", Reason: "a device cannot be its own parent"})
		case !inFile[r.Parent] && !inInventory[r.Parent]:
			errs = append(errs, LineError{Line: r.Line, Field: "parent", Reason: fmt.Sprintf("no device named %q in the file or the inventory", r.Parent)})
		}
	}
	errs = append(errs, parentCycles(rows)...)
	slices.SortStableFunc(errs, func(a, b LineError) int { return a.Line - b.Line })
	return errs
}

// parentCycles reports, once per loop, the first line of every parent loop the file itself
// closes (A's parent B, B's parent A): an incident could never find its root. Loops through
// devices already in the inventory are refused by the store when the import is written.
func parentCycles(rows []ImportRow) []LineError {
	parent := make(map[string]string, len(rows))
	line := make(map[string]int, len(rows))
	for _, r := range rows {
		parent[r.Device.Name], line[r.Device.Name] = r.Parent, r.Line
	}
	const (
		unseen = iota
		walking
		done
	)
	state := make(map[string]int, len(rows))
	var errs []LineError
	for _, r := range rows {
		var path []string
		n := r.Device.Name
		for n != "" && state[n] == unseen {
			if _, inFile := line[n]; !inFile {
				break
			}
			state[n] = walking
			path = append(path, n)
			n = parent[n]
		}
		if n != "" && state[n] == walking && n != parent[n] { // closed a loop of our own walk; self-parents are reported above
			i := slices.Index(path, n)
			loop := path[i:]
			first := slices.MinFunc(loop, func(a, b string) int { return line[a] - line[b] })
			errs = append(errs, LineError{Line: line[first], Field: "parent",
				Reason: fmt.Sprintf("parent loop: %s → %s", strings.Join(loop, " → "), n)})
		}
		for _, p := range path {
			state[p] = done
		}
	}
	slices.SortFunc(errs, func(a, b LineError) int { return a.Line - b.Line })
	return errs
}

func errText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func headerIndex(header []string) (map[string]int, *LineError) {
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range CSVColumns {
			known = known || c == h
		}
		if !known {
			return nil, &LineError{Line: 1, Field: h, Reason: fmt.Sprintf("unknown column %q (known: %s)", h, strings.Join(CSVColumns, ", "))}
		}
		if _, dup := cols[h]; dup {
			return nil, &LineError{Line: 1, Field: h, Reason: "column named twice"}
		}
		cols[h] = i
	}
	for _, req := range []string{"name", "ip"} {
		if _, ok := cols[req]; !ok {
			return nil, &LineError{Line: 1, Field: req, Reason: "required column missing"}
		}
	}
	return cols, nil
}

func parseRow(line int, rec []string, cols map[string]int) (ImportRow, *LineError) {
	get := func(c string) string {
		if i, ok := cols[c]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	fail := func(err error) *LineError {
		var fe *FieldError
		if errors.As(err, &fe) {
			return &LineError{Line: line, Field: fe.Field, Reason: fe.Reason}
		}
		return &LineError{Line: line, Reason: err.Error()}
	}
	row := ImportRow{Line: line, Parent: strings.TrimSpace(get("parent"))}
	d := &row.Device
	var err error
	if d.Name, err = Name(get("name")); err != nil {
		return row, fail(err)
	}
	if d.IP, err = IP(get("ip")); err != nil {
		return row, fail(err)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"branch", &d.Branch}, {"region", &d.Region}, {"type", &d.Type}, {"vendor", &d.Vendor}} {
		if *f.dst, err = Text(f.name, get(f.name)); err != nil {
			return row, fail(err)
		}
	}
	if d.Labels, err = ParseLabels(get("labels")); err != nil {
		return row, fail(err)
	}
	d.Enabled = true
	if v := strings.TrimSpace(get("enabled")); v != "" {
		if d.Enabled, err = strconv.ParseBool(v); err != nil {
			return row, &LineError{Line: line, Field: "enabled", Reason: fmt.Sprintf("%q is not true/false", v)}
		}
	}
	return row, nil
}
