package store

import (
	"strconv"
	"strings"
)

// where builds the WHERE clause of a filtered list query (devices, alerts, audit) with
// numbered placeholders: a condition is written with ? for each of its arguments, in order,
// and becomes $n. It is the one builder of the store's list queries; a value never enters the
// SQL text.
type where struct {
	conds []string
	args  []any
}

// add appends cond, its ?s standing for args in order. A cond has exactly as many ?s as args
// (SQL's jsonb ? operator is not used in these conditions).
func (w *where) add(cond string, args ...any) {
	if n := strings.Count(cond, "?"); n != len(args) {
		panic("store.where: " + strconv.Itoa(n) + " placeholders for " + strconv.Itoa(len(args)) + " arguments in " + cond)
	}
	var b strings.Builder
	for _, a := range args {
		i := strings.IndexByte(cond, '?')
		w.args = append(w.args, a)
		b.WriteString(cond[:i])
		b.WriteString("$" + strconv.Itoa(len(w.args)))
		cond = cond[i+1:]
	}
	b.WriteString(cond)
	w.conds = append(w.conds, b.String())
}

// scope appends "the devices row alias is in sc" unless sc selects every device.
func (w *where) scope(sc DeviceScope, alias string) {
	if sc.All() {
		return
	}
	var cond string
	cond, w.args = sc.cond(alias, w.args)
	w.conds = append(w.conds, cond)
}

// scopeIDs appends "the device id column col is one of sc's devices" unless sc selects every
// device (see DeviceScope.idsIn).
func (w *where) scopeIDs(sc DeviceScope, col string) {
	if sc.All() {
		return
	}
	var cond string
	cond, w.args = sc.idsIn(col, w.args)
	w.conds = append(w.conds, cond)
}

// arg adds a value used outside the conditions (LIMIT, OFFSET) and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// sql is the conditions joined with AND ("true" when there are none).
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}
