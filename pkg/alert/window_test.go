package alert

import (
	"errors"
	"testing"
	"time"
)

func TestWindowActiveAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load zone: %v (install tzdata)", err)
	}
	from := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	once := Window{Kind: WindowOnce, StartsAt: &from, EndsAt: &to, Enabled: true, TimeZone: "UTC"}
	// Saturdays 22:00 Berlin time for 4 hours: crosses midnight into Sunday.
	weekly := Window{Kind: WindowWeekly, Weekdays: []int{6}, StartTime: "22:00", DurationMinutes: 240,
		TimeZone: "Europe/Berlin", Enabled: true}
	// Sundays 02:30 for 60 minutes: on 2026-03-29 02:30 does not exist in Berlin (DST starts).
	dst := Window{Kind: WindowWeekly, Weekdays: []int{0}, StartTime: "02:30", DurationMinutes: 60,
		TimeZone: "Europe/Berlin", Enabled: true}
	tests := []struct {
		name string
		w    Window
		at   time.Time
		want bool
	}{
		{"once: at start", once, from, true},
		{"once: before", once, from.Add(-time.Second), false},
		{"once: end is exclusive", once, to, false},
		{"once: disabled", Window{Kind: WindowOnce, StartsAt: &from, EndsAt: &to}, from, false},
		{"weekly: Saturday 23:00 Berlin", weekly, time.Date(2026, 3, 7, 23, 0, 0, 0, berlin), true},
		{"weekly: Sunday 01:59 Berlin (after midnight)", weekly, time.Date(2026, 3, 8, 1, 59, 0, 0, berlin), true},
		{"weekly: Sunday 02:00 Berlin (ended)", weekly, time.Date(2026, 3, 8, 2, 0, 0, 0, berlin), false},
		{"weekly: Saturday 21:59 Berlin", weekly, time.Date(2026, 3, 7, 21, 59, 0, 0, berlin), false},
		{"weekly: same instant in UTC", weekly, time.Date(2026, 3, 7, 22, 30, 0, 0, time.UTC), true},
		{"weekly: Friday", weekly, time.Date(2026, 3, 6, 23, 0, 0, 0, berlin), false},
		{"dst gap: starts at 03:30 CEST", dst, time.Date(2026, 3, 29, 3, 45, 0, 0, berlin), true},
		{"dst gap: nothing before", dst, time.Date(2026, 3, 29, 1, 59, 0, 0, berlin), false},
		{"dst: normal Sunday 02:45", dst, time.Date(2026, 3, 22, 2, 45, 0, 0, berlin), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.ActiveAt(tc.at, nil); got != tc.want {
				t.Errorf("ActiveAt(%s) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestWindowValidate(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	dev := Scope{Devices: []int64{1}}
	tests := []struct {
		name  string
		in    WindowInput
		field string
	}{
		{"ok once", WindowInput{Name: "w", Kind: WindowOnce, StartsAt: &t0, EndsAt: &t1, Targets: dev}, ""},
		{"ok weekly", WindowInput{Name: "w", Kind: WindowWeekly, Weekdays: []int{1, 1, 3}, StartTime: "23:30",
			DurationMinutes: 90, TimeZone: "Asia/Tashkent", Targets: Scope{Branches: []string{"B1"}}}, ""},
		{"no name", WindowInput{Kind: WindowOnce, StartsAt: &t0, EndsAt: &t1, Targets: dev}, "name"},
		{"bad zone", WindowInput{Name: "w", Kind: WindowOnce, StartsAt: &t0, EndsAt: &t1, TimeZone: "Mars/Base", Targets: dev}, "time_zone"},
		{"no targets", WindowInput{Name: "w", Kind: WindowOnce, StartsAt: &t0, EndsAt: &t1}, "targets"},
		{"bad kind", WindowInput{Name: "w", Kind: "daily", Targets: dev}, "kind"},
		{"end before start", WindowInput{Name: "w", Kind: WindowOnce, StartsAt: &t1, EndsAt: &t0, Targets: dev}, "ends_at"},
		{"missing start", WindowInput{Name: "w", Kind: WindowOnce, EndsAt: &t1, Targets: dev}, "starts_at"},
		{"no weekdays", WindowInput{Name: "w", Kind: WindowWeekly, StartTime: "01:00", DurationMinutes: 5, Targets: dev}, "weekdays"},
		{"weekday 7", WindowInput{Name: "w", Kind: WindowWeekly, Weekdays: []int{7}, StartTime: "01:00", DurationMinutes: 5, Targets: dev}, "weekdays"},
		{"bad time", WindowInput{Name: "w", Kind: WindowWeekly, Weekdays: []int{1}, StartTime: "24:00", DurationMinutes: 5, Targets: dev}, "start_time"},
		{"no duration", WindowInput{Name: "w", Kind: WindowWeekly, Weekdays: []int{1}, StartTime: "01:00", Targets: dev}, "duration_minutes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.in.Window()
			checkField(t, err, tc.field)
		})
	}
}

func checkField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error = %v, want a FieldError on %q", err, field)
	}
	if fe.Field != field {
		t.Fatalf("field = %q (%v), want %q", fe.Field, err, field)
	}
}

func TestWindowInputRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	w, err := WindowInput{Name: "w", Kind: WindowOnce, StartsAt: &t0, EndsAt: &t1, Targets: Scope{Devices: []int64{1}},
		Enabled: ptr(false)}.Window()
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.Input().Window()
	if err != nil || again.Enabled || again.Name != "w" || !again.EndsAt.Equal(t1) {
		t.Fatalf("round trip = %+v, %v", again, err)
	}
}
