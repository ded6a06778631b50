package schedule_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/schedule"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSlotStart(t *testing.T) {
	zurich := time.FixedZone("UTC+1", 3600)
	kolkata := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := []struct {
		name     string
		t        time.Time
		interval time.Duration
		offset   time.Duration
		want     string
	}{
		{name: "start of a slot is its own start", t: utc("2026-03-01T12:00:30Z"), interval: 30 * time.Second, want: "2026-03-01T12:00:30Z"},
		{name: "last nanosecond of a slot", t: utc("2026-03-01T12:00:29.999999999Z"), interval: 30 * time.Second, want: "2026-03-01T12:00:00Z"},
		{name: "middle of a minute slot", t: utc("2026-03-01T12:34:56.5Z"), interval: time.Minute, want: "2026-03-01T12:34:00Z"},
		{name: "local time in, UTC out", t: time.Date(2026, 3, 1, 13, 0, 10, 0, zurich), interval: 30 * time.Second, want: "2026-03-01T12:00:00Z"},
		{name: "daily 03:00 before the hour", t: utc("2026-03-01T02:59:59Z"), interval: 24 * time.Hour, offset: 3 * time.Hour, want: "2026-02-28T03:00:00Z"},
		{name: "daily 03:00 on the hour", t: utc("2026-03-01T03:00:00Z"), interval: 24 * time.Hour, offset: 3 * time.Hour, want: "2026-03-01T03:00:00Z"},
		{name: "daily 03:00 UTC from a zone east of UTC", t: time.Date(2026, 3, 1, 4, 0, 0, 0, kolkata), interval: 24 * time.Hour, offset: 3 * time.Hour,
			want: "2026-02-28T03:00:00Z"},
		{name: "interval that does not divide a day is aligned to the Unix epoch", t: utc("1970-01-01T00:00:20Z"), interval: 7 * time.Second,
			want: "1970-01-01T00:00:14Z"},
		{name: "7s slots today", t: time.Unix(1_772_366_405, 0), interval: 7 * time.Second, want: time.Unix(1_772_366_405-1_772_366_405%7, 0).UTC().Format(time.RFC3339)},
		{name: "offset inside a short interval", t: utc("2026-03-01T12:00:04Z"), interval: 10 * time.Second, offset: 5 * time.Second, want: "2026-03-01T11:59:55Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := schedule.SlotStart(tc.t, tc.interval, tc.offset)
			if got.Location() != time.UTC {
				t.Errorf("location %v, want UTC", got.Location())
			}
			if diff := cmp.Diff(tc.want, got.Format(time.RFC3339Nano)); diff != "" {
				t.Errorf("SlotStart (-want +got):\n%s", diff)
			}
			if got.After(tc.t) || !got.Add(tc.interval).After(tc.t) {
				t.Errorf("slot [%s, +%s) does not contain %s", got, tc.interval, tc.t)
			}
		})
	}
}

func TestSlotNumber(t *testing.T) {
	cases := []struct {
		name     string
		start    time.Time
		interval time.Duration
		want     int64
	}{
		{name: "epoch", start: utc("1970-01-01T00:00:00Z"), interval: 30 * time.Second, want: 0},
		{name: "30s", start: utc("2026-03-01T12:00:30Z"), interval: 30 * time.Second, want: utc("2026-03-01T12:00:30Z").Unix() / 30},
		{name: "next slot is next number", start: utc("2026-03-01T12:01:00Z"), interval: 30 * time.Second, want: utc("2026-03-01T12:00:30Z").Unix()/30 + 1},
		{name: "1s", start: time.Unix(1_772_366_405, 0), interval: time.Second, want: 1_772_366_405},
		{name: "daily", start: utc("2026-03-01T03:00:00Z"), interval: 24 * time.Hour, want: utc("2026-03-01T00:00:00Z").Unix() / 86400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, schedule.SlotNumber(tc.start, tc.interval)); diff != "" {
				t.Errorf("SlotNumber (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlotNumberRoundTrip: for any interval, consecutive slots have consecutive numbers and a
// number times the interval is the slot's start (Unix-epoch alignment).
func TestSlotNumberRoundTrip(t *testing.T) {
	base := utc("2026-03-01T12:00:00.123Z")
	for _, iv := range []time.Duration{time.Second, 7 * time.Second, 30 * time.Second, 45 * time.Second, 67 * time.Second, time.Hour} {
		start := schedule.SlotStart(base, iv, 0)
		n := schedule.SlotNumber(start, iv)
		if got := time.Unix(0, n*int64(iv)).UTC(); !got.Equal(start) {
			t.Errorf("interval %s: slot %d * interval = %s, want the slot start %s", iv, n, got, start)
		}
		next := schedule.SlotStart(start.Add(iv), iv, 0)
		if m := schedule.SlotNumber(next, iv); m != n+1 {
			t.Errorf("interval %s: next slot number %d, want %d", iv, m, n+1)
		}
	}
}
