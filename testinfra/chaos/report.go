package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ReadResults reads the JSON lines the fault tests append to WARDOPS_CHAOS_REPORT.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var res Result
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return nil, fmt.Errorf("decode result %q: %w", line, err)
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Table renders results as the Markdown table of docs/RELIABILITY.md.
func Table(results []Result) string {
	var b strings.Builder
	b.WriteString("| fault | fleet, cycle | outage | slots measured | cycles lost (slots during outage) | partial cycles | rows missing | duplicate rows / events | samples lost / VM duplicates | seconds to recover | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d devices, %gs | %.1fs | %d | %d (%d) | %d | %d | %d / %d | %d / %d | %.1f | %s |\n",
			r.Fault, r.Devices, r.IntervalS, r.OutageS, r.Slots, r.CyclesLost, r.OutageSlots, r.PartialCycles, r.RowsMissing,
			r.DuplicateRows, r.DuplicateEvents, r.SamplesLost, r.VMDuplicates, r.RecoverS, r.Notes)
	}
	return b.String()
}

// ReplaceSection replaces the text between `<!-- name:begin -->` and `<!-- name:end -->` in
// doc with body; it fails when the markers are missing.
func ReplaceSection(doc, name, body string) (string, error) {
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("markers %s … %s not found", begin, end)
	}
	return doc[:i+len(begin)] + "\n" + body + doc[j:], nil
}
