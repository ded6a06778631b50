package audit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

func TestRecordRedactsAndAttributes(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	rec := audit.New(st, nil, func() time.Time { return at })
	ctx := audit.WithActor(testenv.Ctx(t, 30*time.Second), audit.Actor{Name: "alice", Via: audit.ViaSession,
		ClientIP: netip.MustParseAddr("127.0.0.7")})
	before := map[string]any{"name": "r1", "community": "old-community"}
	after := map[string]any{"name": "r1", "community": "new-community", "snmp": map[string]string{"priv_key": "pk"}}
	testenv.Must(t, "record", rec.Record(ctx, audit.Entry{Action: "device.update", TargetType: "device", TargetID: "7",
		Before: before, After: after}))

	recs, _, err := st.ListAudit(ctx, store.AuditFilter{})
	testenv.Must(t, "list", err)
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	r := recs[0]
	ip := netip.MustParseAddr("127.0.0.7")
	got := []any{r.At, r.ActorName, r.Via, *r.ClientIP, r.Action, r.TargetType, r.TargetID, jsonMap(t, r.Before), jsonMap(t, r.After)}
	want := []any{at, "alice", "session", ip, "device.update", "device", "7",
		map[string]any{"name": "r1", "community": audit.Redacted},
		map[string]any{"name": "r1", "community": audit.Redacted, "snmp": map[string]any{"priv_key": audit.Redacted}}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func jsonMap(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func TestMiddlewareSafetyNet(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	rec := audit.New(st, nil, nil)
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			ctx := audit.WithActor(c.Request().Context(), audit.Actor{Name: "bob", Via: audit.ViaToken})
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	})
	e.Use(rec.Middleware)
	e.POST("/things/:id", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.PUT("/things/:id", func(c *echo.Context) error {
		_ = rec.Record(c.Request().Context(), audit.Entry{Action: "thing.replace", TargetType: "thing", TargetID: c.Param("id")})
		return c.NoContent(http.StatusNoContent)
	})
	e.DELETE("/things/:id", func(c *echo.Context) error { return c.NoContent(http.StatusBadRequest) })
	e.GET("/things/:id", func(c *echo.Context) error { return c.NoContent(http.StatusOK) })
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodGet} {
		req := httptest.NewRequest(m, "/things/42", strings.NewReader(""))
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	recs, _, err := st.ListAudit(context.Background(), store.AuditFilter{})
	testenv.Must(t, "list", err)
	var got []string
	for _, r := range recs {
		got = append(got, r.ActorName+" "+r.Action+" "+r.TargetID)
	}
	want := []string{"bob thing.replace 42", "bob http.POST /things/:id 42"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRecordStoresHostileText(t *testing.T) {
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	rec := audit.New(st, nil, nil)
	ctx := testenv.Ctx(t, 30*time.Second)
	nul := "a\x00b\xffc"
	err := rec.Record(ctx, audit.Entry{Action: "x.y" + nul, TargetType: nul, TargetID: nul,
		After: map[string]any{"name" + nul: nul, "list": []string{nul}}})
	testenv.Must(t, "record text with NUL and invalid UTF-8", err)
	recs, _, err := st.ListAudit(ctx, store.AuditFilter{})
	testenv.Must(t, "list", err)
	want := "a\uFFFDb\uFFFDc"
	if got := recs[0].TargetID; got != want {
		t.Errorf("target id %q, want %q", got, want)
	}
	if got := jsonMap(t, recs[0].After)["name"+want]; got != want {
		t.Errorf("after = %s", recs[0].After)
	}
}
