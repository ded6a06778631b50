package selfmetricstest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Problems parses exp (the Prometheus text format) with Prometheus' own parser and lists each
// family without HELP text or without a TYPE line, sorted; a parse error is returned as such.
// It also returns the number of families parsed, so that a caller can tell an empty
// exposition from a clean one.
func Problems(exp []byte) (problems []string, families int, err error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(exp))
	if err != nil {
		return nil, 0, fmt.Errorf("parse exposition: %w", err)
	}
	typed := typedFamilies(exp)
	var out []string
	for name, f := range fams {
		if strings.TrimSpace(f.GetHelp()) == "" {
			out = append(out, name+": no HELP text")
		}
		if !typed[name] {
			out = append(out, name+": no TYPE line")
		}
	}
	slices.Sort(out)
	return out, len(fams), nil
}

// typedFamilies are the names of the `# TYPE name type` lines.
func typedFamilies(exp []byte) map[string]bool {
	out := map[string]bool{}
	for line := range strings.SplitSeq(string(exp), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, _, _ := strings.Cut(rest, " ")
			out[name] = true
		}
	}
	return out
}
