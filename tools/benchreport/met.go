package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// quantity is a number with the word after it as its unit ("7.69 ms", "9,243 targets/s").
type quantity struct {
	v    float64
	unit string
}

var quantityRE = regexp.MustCompile(`(\d[\d,]*(?:\.\d+)?)\s*(×|CPU s\b|[^\s\d(),;=]+)`)

// quantities are the numbers with units in s, in order.
func quantities(s string) []quantity {
	var out []quantity
	for _, m := range quantityRE.FindAllStringSubmatch(s, -1) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err == nil {
			out = append(out, quantity{v: v, unit: m[2]})
		}
	}
	return out
}

// timeScale converts a time unit to seconds; other units have none.
var timeScale = map[string]float64{"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1, "min": 60}

// in converts q to unit, when the two are the same unit or both times.
func (q quantity) in(unit string) (float64, bool) {
	if q.unit == unit {
		return q.v, true
	}
	a, okA := timeScale[q.unit]
	b, okB := timeScale[unit]
	if okA && okB {
		return q.v * a / b, true
	}
	return 0, false
}

// comparisons a target may start with; "lower" is true where smaller is better.
var comparisons = []struct {
	prefix string
	lower  bool
}{{"≤", true}, {"<=", true}, {"<", true}, {"≥", false}, {">=", false}, {">", false}}

// shortfall says by how much measured misses target — "+57.06 ms (6.7×)" above a bound,
// "−957 targets/s (90 %)" below one — or "" where the two are not comparable: the target
// must start with a comparison and hold a quantity of the unit of measured's first quantity
// (or a time, when that is a time).
func shortfall(target, measured string) string {
	t := strings.TrimSpace(target)
	lower, found := false, false
	for _, c := range comparisons {
		if strings.HasPrefix(t, c.prefix) {
			lower, found = c.lower, true
			break
		}
	}
	ms := quantities(measured)
	if !found || len(ms) == 0 {
		return ""
	}
	m, unit := ms[0].v, ms[0].unit
	for _, tq := range quantities(t) {
		tv, ok := tq.in(unit) // in the measured unit: "+351 ms" rather than "+0.35 s"
		if !ok || tv == 0 {
			continue
		}
		// the first quantity meets its bound: the miss lies in another part of the target
		// (e.g. "< 60 s, ≥ 99 % of agents answer"), which the row's note explains
		if (lower && m <= tv) || (!lower && m >= tv) {
			return ""
		}
		if lower {
			return fmt.Sprintf("+%s %s (%s×)", num(m-tv), unit, num(m/tv))
		}
		return fmt.Sprintf("−%s %s (%.0f %%)", num(tv-m), unit, 100*m/tv)
	}
	return ""
}

// num formats v with about three significant digits, and thousands separators above 1,000.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1000:
		return commas(int64(math.Round(v)))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func commas(n int64) string {
	if n < 0 {
		return "-" + commas(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// metCell is the met column: — without a target, ✓, or ✗ with the shortfall where computable.
func metCell(met *bool, target, measured string) string {
	switch {
	case met == nil:
		return "—"
	case *met:
		return "✓"
	}
	if d := shortfall(target, measured); d != "" {
		return "✗ " + d
	}
	return "✗"
}
