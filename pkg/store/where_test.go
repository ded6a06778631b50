package store

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWhere(t *testing.T) {
	var w where
	if w.sql() != "true" {
		t.Errorf("empty: %q", w.sql())
	}
	w.add("d.id > ?", int64(7))
	w.add("d.deleted_at IS NULL")
	w.add("(strpos(lower(d.name), lower(?)) > 0 OR host(d.ip) LIKE ?)", "Alm", "Alm%")
	w.scope(DeviceScope{}, "d")
	w.scope(DeviceScope{Regions: []string{"south"}}, "d")
	limit := w.arg(101)
	want := "d.id > $1 AND d.deleted_at IS NULL AND (strpos(lower(d.name), lower($2)) > 0 OR host(d.ip) LIKE $3) AND (d.region = ANY($4::text[]))"
	if got := w.sql(); got != want || limit != "$5" {
		t.Errorf("sql %q limit %s\nwant %q $5", got, limit, want)
	}
	if diff := cmp.Diff([]any{int64(7), "Alm", "Alm%", []string{"south"}, 101}, w.args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	defer func() {
		if recover() == nil {
			t.Error("a placeholder count that does not match the arguments did not panic")
		}
	}()
	w.add("a = ? AND b = ?", 1)
}
