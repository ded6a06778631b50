package retention

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // WARDOPS_RETENTION_TZ works in images without /usr/share/zoneinfo

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tasks"
)

// Defaults of Config. The README's configuration table lists them.
const (
	DefaultAt              = "03:00"
	DefaultZone            = "UTC"
	DefaultPing            = 30 * Day
	DefaultRollup          = 365 * Day
	DefaultEvents          = 180 * Day
	DefaultAlerts          = 180 * Day
	DefaultAudit           = 730 * Day
	DefaultWorkerHealth    = 30 * Day
	DefaultPartitionsAhead = 7
)

// Day is 24 hours: retentions count UTC days.
const Day = 24 * time.Hour

// Config is the retention policy. The scheduler needs At and Zone (Job), the worker all of it.
type Config struct {
	// At: WARDOPS_RETENTION_AT, the time of day "HH:MM" of the daily run (default 03:00).
	At string
	// Zone: WARDOPS_RETENTION_TZ, the IANA time zone of At (default UTC).
	Zone *time.Location
	// Ping: WARDOPS_PING_RETENTION, how long ping_results day partitions are kept (default 30d).
	Ping time.Duration
	// Rollup: WARDOPS_ROLLUP_RETENTION, how long hourly roll-ups are kept (default 365d).
	Rollup time.Duration
	// Events: WARDOPS_EVENT_RETENTION, device_events (default 180d; 0 keeps them forever).
	Events time.Duration
	// Alerts: WARDOPS_ALERT_RETENTION, resolved alerts with their events and deliveries, and
	// resolved incidents (default 180d; 0 keeps them forever).
	Alerts time.Duration
	// Audit: WARDOPS_AUDIT_RETENTION, the audit trail (default 730d; 0 keeps it forever).
	Audit time.Duration
	// WorkerHealth: WARDOPS_WORKER_HEALTH_RETENTION, worker-health samples (default 30d).
	WorkerHealth time.Duration
	// PartitionsAhead: WARDOPS_PARTITIONS_AHEAD, days of ping_results partitions created ahead
	// of today (default 7).
	PartitionsAhead int
}

// DefaultConfig is the policy with every default.
func DefaultConfig() Config {
	return Config{At: DefaultAt, Zone: time.UTC, Ping: DefaultPing, Rollup: DefaultRollup, Events: DefaultEvents,
		Alerts: DefaultAlerts, Audit: DefaultAudit, WorkerHealth: DefaultWorkerHealth, PartitionsAhead: DefaultPartitionsAhead}
}

// LoadConfig reads the policy from WARDOPS_* variables; the error names every bad variable
// (*config.FieldError, joined).
func LoadConfig(get config.Getenv) (Config, error) {
	c := DefaultConfig()
	var errs []error
	fail := func(key, val, reason string) {
		errs = append(errs, &config.FieldError{Var: key, Value: val, Reason: reason})
	}
	if v, ok := lookup(get, "WARDOPS_RETENTION_AT"); ok {
		if _, err := time.Parse("15:04", v); err != nil || len(v) != 5 {
			fail("WARDOPS_RETENTION_AT", v, "not a time of day HH:MM (e.g. 03:00)")
		} else {
			c.At = v
		}
	}
	if v, ok := lookup(get, "WARDOPS_RETENTION_TZ"); ok {
		loc, err := time.LoadLocation(v)
		if err != nil {
			fail("WARDOPS_RETENTION_TZ", v, "not an IANA time zone (e.g. UTC, Europe/Berlin)")
		} else {
			c.Zone = loc
		}
	}
	loadRetentions(get, &c, fail)
	if v, ok := lookup(get, "WARDOPS_PARTITIONS_AHEAD"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 60 {
			fail("WARDOPS_PARTITIONS_AHEAD", v, "must be an integer between 1 and 60")
		} else {
			c.PartitionsAhead = n
		}
	}
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// loadRetentions reads the retention periods: days ("30d") or Go durations, each within its
// bounds; 0 keeps rows forever where that is allowed.
func loadRetentions(get config.Getenv, c *Config, fail func(key, val, reason string)) {
	periods := []struct {
		key      string
		dst      *time.Duration
		min      time.Duration
		zeroKeep bool
	}{
		{"WARDOPS_PING_RETENTION", &c.Ping, 2 * Day, false},
		{"WARDOPS_ROLLUP_RETENTION", &c.Rollup, 2 * Day, false},
		{"WARDOPS_EVENT_RETENTION", &c.Events, Day, true},
		{"WARDOPS_ALERT_RETENTION", &c.Alerts, Day, true},
		{"WARDOPS_AUDIT_RETENTION", &c.Audit, Day, true},
		{"WARDOPS_WORKER_HEALTH_RETENTION", &c.WorkerHealth, Day, false},
	}
	for _, d := range periods {
		v, ok := lookup(get, d.key)
		if !ok {
			continue
		}
		dur, err := ParseRetention(v)
		switch {
		case err != nil:
			fail(d.key, v, err.Error())
		case dur == 0 && d.zeroKeep:
			*d.dst = 0
		case dur < d.min || dur > 3650*Day:
			keep := ""
			if d.zeroKeep {
				keep = " (or 0 to keep forever)"
			}
			fail(d.key, v, fmt.Sprintf("must be between %s and 3650d%s", fmtDays(d.min), keep))
		default:
			*d.dst = dur
		}
	}
}

func lookup(get config.Getenv, key string) (string, bool) {
	v, ok := get(key)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// Validate checks the relations between the settings.
func (c Config) Validate() error {
	if c.Rollup < c.Ping {
		return &config.FieldError{Var: "WARDOPS_ROLLUP_RETENTION", Value: fmtDays(c.Rollup),
			Reason: fmt.Sprintf("must not be shorter than WARDOPS_PING_RETENTION (%s): roll-ups outlive the pings they summarise", fmtDays(c.Ping))}
	}
	return nil
}

// ParseRetention parses "30d" (days), "0", or a Go duration such as "36h".
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 {
			return 0, errors.New("not a retention (use e.g. 30d, 36h)")
		}
		return time.Duration(d) * Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("not a retention (use e.g. 30d, 36h)")
	}
	return d, nil
}

func fmtDays(d time.Duration) string {
	if d%Day == 0 {
		return fmt.Sprintf("%dd", d/Day)
	}
	return d.String()
}

// Job is the scheduler's entry for the retention task: every hour, at the minute of At (in
// UTC terms, so zones with half-hour offsets work). Each run rolls up the hours completed since
// the last one; the run whose slot falls on At in Zone also creates and drops partitions and
// purges old rows. An hourly slot keeps At right across daylight-saving changes, which a
// fixed daily offset from UTC midnight would not.
func (c Config) Job() schedule.Job {
	return schedule.Job{TaskType: tasks.TypeRetention, Queue: tasks.QueueLow, Interval: time.Hour, Offset: c.minuteOffset()}
}

func (c Config) minuteOffset() time.Duration {
	at, err := time.Parse("15:04", c.At)
	if err != nil {
		at, _ = time.Parse("15:04", DefaultAt)
	}
	zone := c.Zone
	if zone == nil {
		zone = time.UTC
	}
	now := time.Now().In(zone)
	local := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, zone).UTC()
	return time.Duration(local.Minute()) * time.Minute
}

// IsDaily reports whether the slot starting at slotStart is the daily run: its time of day in
// Zone is At.
func (c Config) IsDaily(slotStart time.Time) bool {
	zone := c.Zone
	if zone == nil {
		zone = time.UTC
	}
	return slotStart.In(zone).Format("15:04") == c.At
}
