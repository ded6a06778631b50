package report_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/report"
	"github.com/wardops/wardops/pkg/store"
)

// fakeSource returns fixed rows and records the windows it was asked for.
type fakeSource struct {
	rows  []store.AvailabilityRow
	outs  []store.Outage
	more  bool
	err   error
	calls [][2]time.Time
	// scopes are the scopes Availability and Outages were asked for, in order.
	scopes []store.DeviceScope
}

var _ report.Source = (*fakeSource)(nil)

func (f *fakeSource) Availability(_ context.Context, from, to time.Time, sc store.DeviceScope) ([]store.AvailabilityRow, error) {
	f.calls = append(f.calls, [2]time.Time{from, to})
	f.scopes = append(f.scopes, sc)
	return f.rows, f.err
}

func (f *fakeSource) Outages(_ context.Context, _, _ time.Time, _ int, sc store.DeviceScope) ([]store.Outage, bool, error) {
	f.scopes = append(f.scopes, sc)
	return f.outs, f.more, f.err
}

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func fp(v float64) *float64     { return &v }
func tp(t time.Time) *time.Time { return &t }

func source() *fakeSource {
	day := 86400.0
	return &fakeSource{
		rows: []store.AvailabilityRow{
			{DeviceID: 1, Name: "r1", Branch: "B1", Region: "N", MonitoredS: day, DownS: 864, Outages: 2, CurrentStatus: "up"},
			{DeviceID: 2, Name: "=atm", Branch: "B1", Region: "N", MonitoredS: day, CurrentStatus: "up"},
			{DeviceID: 3, Name: "sw", Branch: "B2", Region: "S", MonitoredS: day, MaintenanceS: day / 2, DownS: 432, Outages: 1, CurrentStatus: "down"},
			{DeviceID: 4, Name: "new", Branch: "B2", Region: "S", MonitoredS: 100, UnknownS: 100, CurrentStatus: "unknown"},
		},
		outs: []store.Outage{
			{DeviceID: 3, Name: "sw", Branch: "B2", Region: "S", Start: now.Add(-432 * time.Second)},
			{DeviceID: 1, Name: "r1", Branch: "B1", Region: "N", Start: now.Add(-time.Hour), End: tp(now.Add(-time.Hour + 500*time.Second))},
		},
	}
}

func TestBuild(t *testing.T) {
	src := source()
	got, err := report.Build(context.Background(), src, "1d", now, store.DeviceScope{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	want := report.Report{Range: "1d", From: now.Add(-24 * time.Hour), To: now,
		Summary: report.Summary{Devices: 4, UptimePct: fp(100 * (2.5*86400 - 1296) / (2.5 * 86400)), DownS: 1296, Outages: 3},
		Devices: []report.Device{
			{ID: 1, Name: "r1", Branch: "B1", Region: "N", MonitoredS: 86400, DownS: 864, UptimePct: fp(99), Outages: 2, CurrentStatus: "up"},
			{ID: 3, Name: "sw", Branch: "B2", Region: "S", MonitoredS: 86400, DownS: 432, MaintenanceS: 43200, UptimePct: fp(99), Outages: 1, CurrentStatus: "down"},
			{ID: 2, Name: "=atm", Branch: "B1", Region: "N", MonitoredS: 86400, UptimePct: fp(100), CurrentStatus: "up"},
			{ID: 4, Name: "new", Branch: "B2", Region: "S", MonitoredS: 100, UnknownS: 100, CurrentStatus: "unknown"},
		},
		Branches: []report.Branch{
			{Region: "S", Branch: "B2", Devices: 2, DownS: 432, UptimePct: fp(99), Outages: 1},
			{Region: "N", Branch: "B1", Devices: 2, DownS: 864, UptimePct: fp(99.5), Outages: 2},
		},
		Outages: []report.Outage{
			{DeviceID: 3, Device: "sw", Branch: "B2", Region: "S", Start: now.Add(-432 * time.Second), DurationS: 432},
			{DeviceID: 1, Device: "r1", Branch: "B1", Region: "N", Start: now.Add(-time.Hour), End: tp(now.Add(-time.Hour + 500*time.Second)), DurationS: 500},
		},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(report.Branch{})); diff != "" {
		t.Errorf("Build (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][2]time.Time{{now.Add(-24 * time.Hour), now}}, src.calls); diff != "" {
		t.Errorf("window asked of the store (-want +got):\n%s", diff)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		rng   string
		err   error
		check func(error) bool
	}{
		{"bad range", "2d", nil, func(err error) bool { return errors.Is(err, report.ErrRange) }},
		{"store fails", "7d", errors.New("boom"), func(err error) bool { return err != nil && !errors.Is(err, report.ErrRange) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := report.Build(context.Background(), &fakeSource{err: tc.err}, tc.rng, now, store.DeviceScope{})
			if !tc.check(err) {
				t.Errorf("Build(%q) error = %v", tc.rng, err)
			}
		})
	}
}

func TestWriteCSV(t *testing.T) {
	r, err := report.Build(context.Background(), source(), "1d", now, store.DeviceScope{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	tests := []struct{ table, want string }{
		{report.TableBranches, "region,branch,devices,uptime_pct,down_s,outages,from,to\n" +
			"S,B2,2,99.0000,432,1,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n" +
			"N,B1,2,99.5000,864,2,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n"},
		{report.TableOutages, "device_id,device,branch,region,start,end,duration_s\n" +
			"3,sw,B2,S,2026-03-10T11:52:48Z,,432\n" +
			"1,r1,B1,N,2026-03-10T11:00:00Z,2026-03-10T11:08:20Z,500\n"},
		{report.TableDevices, "device_id,device,branch,region,uptime_pct,down_s,maintenance_s,unknown_s,monitored_s,outages,status,from,to\n" +
			"1,r1,B1,N,99.0000,864,0,0,86400,2,up,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n" +
			"3,sw,B2,S,99.0000,432,43200,0,86400,1,down,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n" +
			"2,'=atm,B1,N,100.0000,0,0,0,86400,0,up,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n" +
			"4,new,B2,S,,0,0,100,100,0,unknown,2026-03-09T12:00:00Z,2026-03-10T12:00:00Z\n"},
	}
	for _, tc := range tests {
		t.Run(tc.table, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.WriteCSV(&b, tc.table); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("CSV (-want +got):\n%s", diff)
			}
		})
	}
	if err := r.WriteCSV(&bytes.Buffer{}, "nope"); !errors.Is(err, report.ErrTable) {
		t.Errorf("WriteCSV(nope) = %v, want ErrTable", err)
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name, query      string
		src              *fakeSource
		wantCode         int
		wantType, prefix string
	}{
		{"json default range", "", source(), 200, "application/json", `{"range":"7d"`},
		{"csv", "?range=30d&format=csv&table=branches", source(), 200, "text/csv; charset=utf-8", "region,branch,"},
		{"bad range", "?range=1y", source(), 400, "application/json", `{"error":{"code":"invalid_range"`},
		{"bad format", "?format=xml", source(), 400, "application/json", `{"error":{"code":"invalid_format"`},
		{"bad table", "?format=csv&table=x", source(), 400, "application/json", `{"error":{"code":"invalid_table"`},
		{"store fails", "", &fakeSource{err: errors.New("db down")}, 500, "application/json", `{"error":{"code":"internal"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			e.GET("/r", report.Endpoint(tc.src, func() time.Time { return now }, nil, nil))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r"+tc.query, nil))
			body := rec.Body.String()
			got := []any{rec.Code, rec.Header().Get("Content-Type"), len(body) >= len(tc.prefix) && body[:len(tc.prefix)] == tc.prefix}
			if diff := cmp.Diff([]any{tc.wantCode, tc.wantType, true}, got); diff != "" {
				t.Errorf("GET /r%s (-want +got):\n%s\nbody: %s", tc.query, diff, body)
			}
		})
	}
}

// TestHandlerPassesScope checks that the caller's scope reaches both queries, and that a scope
// that cannot be decided answers the request instead of reporting the whole fleet.
func TestHandlerPassesScope(t *testing.T) {
	src := source()
	north := store.DeviceScope{Regions: []string{"N"}}
	e := echo.New()
	e.GET("/r", report.Endpoint(src, func() time.Time { return now }, nil,
		func(*echo.Context) (store.DeviceScope, error) { return north, nil }))
	e.GET("/fail", report.Endpoint(src, func() time.Time { return now }, nil,
		func(*echo.Context) (store.DeviceScope, error) { return store.DeviceScope{}, echo.ErrUnauthorized }))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /r: %d %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff([]store.DeviceScope{north, north}, src.scopes); diff != "" {
		t.Errorf("scopes asked (-want +got):\n%s", diff)
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fail", nil))
	if rec.Code != http.StatusUnauthorized || len(src.scopes) != 2 {
		t.Errorf("GET /fail: %d after %d queries, want 401 and no query", rec.Code, len(src.scopes)-2)
	}
}
