package retention_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
)

func env(m map[string]string) config.Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
	}
	return vars
}

// TestBadConfigFixtures: each testdata/bad_*.env breaks one rule; the error is exact and names
// the variable.
func TestBadConfigFixtures(t *testing.T) {
	cases := []struct{ file, want string }{
		{"bad_at.env", `WARDOPS_RETENTION_AT="3": not a time of day HH:MM (e.g. 03:00)`},
		{"bad_zone.env", `WARDOPS_RETENTION_TZ="Mars/Olympus": not an IANA time zone (e.g. UTC, Europe/Berlin)`},
		{"bad_ping_retention.env", `WARDOPS_PING_RETENTION="4w": not a retention (use e.g. 30d, 36h)`},
		{"bad_ping_retention_range.env", `WARDOPS_PING_RETENTION="1d": must be between 2d and 3650d`},
		{"bad_ping_retention_zero.env", `WARDOPS_PING_RETENTION="0": must be between 2d and 3650d`},
		{"bad_audit_retention.env", `WARDOPS_AUDIT_RETENTION="2h": must be between 1d and 3650d (or 0 to keep forever)`},
		{"bad_rollup_shorter.env", `WARDOPS_ROLLUP_RETENTION="30d": must not be shorter than WARDOPS_PING_RETENTION (60d): roll-ups outlive the pings they summarise`},
		{"bad_partitions_ahead.env", `WARDOPS_PARTITIONS_AHEAD="0": must be an integer between 1 and 60`},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			vars := readEnvFile(t, filepath.Join("testdata", tc.file))
			_, err := retention.LoadConfig(env(vars))
			if err == nil {
				t.Fatalf("no error for %v, want %q", vars, tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *config.FieldError", err)
			}
			if _, ok := vars[fe.Var]; !ok {
				t.Errorf("error names %s, which the fixture does not set", fe.Var)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.env"))
	var orphans []string
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			orphans = append(orphans, filepath.Base(f))
		}
	}
	sort.Strings(orphans)
	if len(orphans) > 0 {
		t.Errorf("fixtures without a case: %v", orphans)
	}
}

func TestLoadConfig(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	def := retention.DefaultConfig()
	cases := []struct {
		name string
		vars map[string]string
		want retention.Config
	}{
		{"defaults", nil, def},
		{"days, hours and keep-forever", map[string]string{"WARDOPS_PING_RETENTION": "14d", "WARDOPS_ROLLUP_RETENTION": "400d",
			"WARDOPS_EVENT_RETENTION": "0", "WARDOPS_ALERT_RETENTION": "36h", "WARDOPS_AUDIT_RETENTION": " 0 ",
			"WARDOPS_WORKER_HEALTH_RETENTION": "7d", "WARDOPS_PARTITIONS_AHEAD": "3"},
			func() retention.Config {
				c := def
				c.Ping, c.Rollup, c.Events, c.Alerts, c.Audit, c.WorkerHealth, c.PartitionsAhead =
					14*retention.Day, 400*retention.Day, 0, 36*time.Hour, 0, 7*retention.Day, 3
				return c
			}()},
		{"time and zone", map[string]string{"WARDOPS_RETENTION_AT": "02:30", "WARDOPS_RETENTION_TZ": "Europe/Berlin"},
			func() retention.Config { c := def; c.At, c.Zone = "02:30", berlin; return c }()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := retention.LoadConfig(env(tc.vars))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJobAndDaily: the job runs hourly at At's minute in UTC terms; the daily run is the slot
// whose local time is At, across a daylight-saving change too.
func TestJobAndDaily(t *testing.T) {
	kolkata, _ := time.LoadLocation("Asia/Kolkata") // UTC+5:30
	berlin, _ := time.LoadLocation("Europe/Berlin")
	cases := []struct {
		name       string
		at         string
		zone       *time.Location
		wantOffset time.Duration
		daily      []time.Time
		notDaily   []time.Time
	}{
		{"utc 03:00", "03:00", time.UTC, 0,
			[]time.Time{time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)},
			[]time.Time{time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)}},
		{"half-hour zone", "03:00", kolkata, 30 * time.Minute,
			[]time.Time{time.Date(2026, 3, 1, 21, 30, 0, 0, time.UTC)}, // 03:00 IST
			[]time.Time{time.Date(2026, 3, 1, 3, 30, 0, 0, time.UTC)}},
		{"daylight saving", "03:00", berlin, 0,
			// 03:00 CET in winter is 02:00 UTC; 03:00 CEST in summer is 01:00 UTC
			[]time.Time{time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 1, 0, 0, 0, time.UTC)},
			[]time.Time{time.Date(2026, 1, 10, 1, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 2, 0, 0, 0, time.UTC)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := retention.DefaultConfig()
			c.At, c.Zone = tc.at, tc.zone
			want := schedule.Job{TaskType: tasks.TypeRetention, Queue: tasks.QueueLow, Interval: time.Hour, Offset: tc.wantOffset}
			if diff := cmp.Diff(want, c.Job()); diff != "" {
				t.Errorf("job (-want +got):\n%s", diff)
			}
			for _, s := range tc.daily {
				if !c.IsDaily(s) {
					t.Errorf("slot %s is not daily, want daily", s)
				}
				if got := schedule.SlotStart(s, time.Hour, c.Job().Offset); !got.Equal(s) {
					t.Errorf("slot %s is not a slot start of the job (got %s)", s, got)
				}
			}
			for _, s := range tc.notDaily {
				if c.IsDaily(s) {
					t.Errorf("slot %s is daily, want not", s)
				}
			}
		})
	}
}

func TestParseRetention(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"30d", 30 * retention.Day, false}, {"0", 0, false}, {"36h", 36 * time.Hour, false},
		{"-1d", 0, true}, {"d", 0, true}, {"1y", 0, true}, {"-5h", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := retention.ParseRetention(tc.in)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
