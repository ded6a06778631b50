package store_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestAuditFiltersAndCursor(t *testing.T) {
	st := newAuthStore(t)
	ctx := testenv.Ctx(t, 30*time.Second)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ip := netip.MustParseAddr("127.0.0.2")
	for i := range 10 {
		r := store.AuditRecord{At: base.Add(time.Duration(i) * time.Minute), ActorName: []string{"alice", "bob"}[i%2],
			Via: "session", Action: []string{"device.update", "device_update", "user.create"}[i%3],
			TargetType: "device", TargetID: fmt.Sprint(i), After: json.RawMessage(`{"n":` + fmt.Sprint(i) + `}`)}
		if i == 4 {
			r.ClientIP = &ip
		}
		_, err := st.InsertAudit(ctx, r)
		testenv.Must(t, "insert audit", err)
	}
	ids := func(f store.AuditFilter) []string {
		t.Helper()
		recs, _, err := st.ListAudit(ctx, f)
		testenv.Must(t, "list audit", err)
		var out []string
		for _, r := range recs {
			out = append(out, r.TargetID)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"all newest first", store.AuditFilter{}, []string{"9", "8", "7", "6", "5", "4", "3", "2", "1", "0"}},
		{"actor", store.AuditFilter{Actor: "bob"}, []string{"9", "7", "5", "3", "1"}},
		{"exact action", store.AuditFilter{Action: "device.update"}, []string{"9", "6", "3", "0"}},
		// '_' in a prefix is literal, not a LIKE wildcard
		{"prefix action", store.AuditFilter{Action: "device_*"}, []string{"7", "4", "1"}},
		{"prefix with dot", store.AuditFilter{Action: "device.*"}, []string{"9", "6", "3", "0"}},
		{"client ip", store.AuditFilter{ClientIP: &ip}, []string{"4"}},
		{"time range", store.AuditFilter{Since: base.Add(2 * time.Minute), Until: base.Add(5 * time.Minute)}, []string{"4", "3", "2"}},
		{"target", store.AuditFilter{TargetType: "device", TargetID: "3"}, []string{"3"}},
		{"injection is a literal", store.AuditFilter{Actor: "x' OR '1'='1"}, nil},
		{"percent is literal", store.AuditFilter{Action: "%*"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	var pages [][]string
	f := store.AuditFilter{Limit: 4}
	for {
		recs, next, err := st.ListAudit(ctx, f)
		testenv.Must(t, "page", err)
		var page []string
		for _, r := range recs {
			page = append(page, r.TargetID)
		}
		pages = append(pages, page)
		if next == 0 {
			break
		}
		f.BeforeID = next
	}
	want := [][]string{{"9", "8", "7", "6"}, {"5", "4", "3", "2"}, {"1", "0"}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}
