package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// A cycle must end before the next one is due (a worker skips a cycle it could not start in
// time, so an interval shorter than a cycle loses every other one). FitCheck refuses an
// interval of the ping or SNMP job that its cycle cannot fit in.

// PingTiming is how one set of ping settings paces a device: Count echo requests Spacing
// apart, then up to Timeout for the last reply (the worker's WARDOPS_PING_* defaults, or a
// monitoring profile's ping_count, ping_interval_ms and ping_timeout_ms).
type PingTiming struct {
	Count   int
	Spacing time.Duration
	Timeout time.Duration
}

// Length is the longest one device's ping takes: Timeout plus Count-1 spacings (as
// config.Ping.Validate counts it).
func (p PingTiming) Length() time.Duration {
	return p.Timeout + time.Duration(max(p.Count-1, 0))*p.Spacing
}

func (p PingTiming) String() string {
	return fmt.Sprintf("timeout %s + %d × %s spacing", shortDuration(p.Timeout), max(p.Count-1, 0), shortDuration(p.Spacing))
}

// FitSource is the part of *store.Store that knows the stored ping and SNMP settings.
type FitSource interface {
	ListProfiles(ctx context.Context) ([]store.Profile, error)
	LongestSNMPWait(ctx context.Context) (store.SNMPWait, error)
}

var _ FitSource = (*store.Store)(nil)

// FitCheck checks a job's interval against the longest its cycle can take.
type FitCheck struct {
	Source FitSource
	// Ping is the worker's defaults, for devices without a profile.
	Ping PingTiming
}

// Check returns a *FieldError on "interval" naming the minimum when e is an enabled ping or
// SNMP job whose interval is not longer than one of its cycles can take; other jobs pass.
func (f FitCheck) Check(ctx context.Context, e store.ScheduleEntry) error {
	if !e.Enabled {
		return nil
	}
	var longest time.Duration
	var why string
	switch e.TaskType {
	case tasks.TypePingCycle:
		longest, why = f.Ping.Length(), "the worker's defaults: "+f.Ping.String()
		profiles, err := f.Source.ListProfiles(ctx)
		if err != nil {
			return fmt.Errorf("check the ping interval: %w", err)
		}
		for _, p := range profiles {
			t := PingTiming{Count: p.PingCount, Spacing: time.Duration(p.PingIntervalMS) * time.Millisecond,
				Timeout: time.Duration(p.PingTimeoutMS) * time.Millisecond}
			if t.Length() > longest {
				longest, why = t.Length(), fmt.Sprintf("profile %q: %s", p.Name, t)
			}
		}
	case tasks.TypeSNMPCycle:
		w, err := f.Source.LongestSNMPWait(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return nil // no SNMP settings: nothing to poll
		}
		if err != nil {
			return fmt.Errorf("check the SNMP interval: %w", err)
		}
		longest = w.Total()
		why = fmt.Sprintf("%s: timeout %s × %d tries, for each request", w.Owner, shortDuration(w.Timeout), w.Retries+1)
	default:
		return nil
	}
	if e.Interval > longest {
		return nil
	}
	least := longest.Truncate(time.Second) + time.Second // intervals are whole seconds
	return &FieldError{"interval", fmt.Sprintf("interval of %s must be longer than one cycle can take (%s, %s): at least %s",
		e.TaskType, shortDuration(longest), why, shortDuration(least))}
}

// CheckProfile returns a *FieldError on "ping_timeout_ms" when the ping settings of a profile
// named name would not fit the ping job e (enabled): the other side of Check, for profile edits.
func CheckProfile(name string, t PingTiming, e store.ScheduleEntry) error {
	if !e.Enabled || e.TaskType != tasks.TypePingCycle || t.Length() < e.Interval {
		return nil
	}
	return &FieldError{"ping_timeout_ms", fmt.Sprintf("a ping of profile %q would take %s (%s), not less than the ping interval of %s: shorten the timeout, count or spacing, or lengthen the interval first",
		name, shortDuration(t.Length()), t, shortDuration(e.Interval))}
}
