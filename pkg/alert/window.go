package alert

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Window kinds.
const (
	WindowOnce   = "once"
	WindowWeekly = "weekly"
)

// Window is a maintenance window: devices in Targets show status maintenance while it is
// active, and their alerts are recorded but not sent.
type Window struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Kind is "once" ([StartsAt, EndsAt)) or "weekly" (Weekdays at StartTime for DurationMinutes).
	Kind     string     `json:"kind"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	// Weekdays: 0 = Sunday .. 6 = Saturday, in TimeZone.
	Weekdays []int `json:"weekdays"`
	// StartTime is the local start "HH:MM" of a weekly window.
	StartTime       string `json:"start_time"`
	DurationMinutes int    `json:"duration_minutes"`
	// TimeZone is an IANA zone name (default "UTC").
	TimeZone  string    `json:"time_zone"`
	Targets   Scope     `json:"targets"`
	Enabled   bool      `json:"enabled"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WindowInput is what the API writes; Enabled defaults to true.
type WindowInput struct {
	Name            string     `json:"name"`
	Description     string     `json:"description"`
	Kind            string     `json:"kind"`
	StartsAt        *time.Time `json:"starts_at"`
	EndsAt          *time.Time `json:"ends_at"`
	Weekdays        []int      `json:"weekdays"`
	StartTime       string     `json:"start_time"`
	DurationMinutes int        `json:"duration_minutes"`
	TimeZone        string     `json:"time_zone"`
	Targets         Scope      `json:"targets"`
	Enabled         *bool      `json:"enabled"`
	CreatedBy       string     `json:"created_by"`
}

// Input returns the window as input, for a PATCH: decode the request body onto it (fields
// present replace, absent ones stay) and pass it to the store's UpdateWindow.
func (w Window) Input() WindowInput {
	en := w.Enabled
	return WindowInput{Name: w.Name, Description: w.Description, Kind: w.Kind, StartsAt: w.StartsAt, EndsAt: w.EndsAt,
		Weekdays: w.Weekdays, StartTime: w.StartTime, DurationMinutes: w.DurationMinutes, TimeZone: w.TimeZone,
		Targets: w.Targets, Enabled: &en, CreatedBy: w.CreatedBy}
}

// Window validates the input and returns the window it describes.
func (in WindowInput) Window() (Window, error) {
	w := Window{Name: strings.TrimSpace(in.Name), Description: in.Description, Kind: in.Kind,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt, Weekdays: in.Weekdays, StartTime: in.StartTime,
		DurationMinutes: in.DurationMinutes, TimeZone: in.TimeZone, Targets: in.Targets, Enabled: true,
		CreatedBy: in.CreatedBy}
	if in.Enabled != nil {
		w.Enabled = *in.Enabled
	}
	if w.TimeZone == "" {
		w.TimeZone = "UTC"
	}
	if w.Weekdays == nil {
		w.Weekdays = []int{}
	}
	return w, w.Validate()
}

// Validate checks a window, naming the first bad field.
func (w *Window) Validate() error {
	if w.Name == "" {
		return invalid("name", "must not be empty")
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil || w.TimeZone == "" || w.TimeZone == "Local" {
		return invalid("time_zone", fmt.Sprintf("unknown IANA time zone %q", w.TimeZone))
	}
	if w.Targets.IsAll() {
		return invalid("targets", "must name at least one device, branch, region, type or label")
	}
	if err := w.Targets.validate("targets"); err != nil {
		return err
	}
	switch w.Kind {
	case WindowOnce:
		return w.validateOnce()
	case WindowWeekly:
		return w.validateWeekly()
	}
	return invalid("kind", `must be "once" or "weekly"`)
}

func (w *Window) validateOnce() error {
	if w.StartsAt == nil {
		return invalid("starts_at", "is required for a one-off window")
	}
	if w.EndsAt == nil || !w.EndsAt.After(*w.StartsAt) {
		return invalid("ends_at", "must be after starts_at")
	}
	s, e := w.StartsAt.UTC(), w.EndsAt.UTC()
	w.StartsAt, w.EndsAt = &s, &e
	return nil
}

func (w *Window) validateWeekly() error {
	if len(w.Weekdays) == 0 {
		return invalid("weekdays", "must list at least one day (0 = Sunday .. 6 = Saturday)")
	}
	for _, d := range w.Weekdays {
		if d < 0 || d > 6 {
			return invalid("weekdays", fmt.Sprintf("day %d is not in 0..6", d))
		}
	}
	if _, _, ok := parseHHMM(w.StartTime); !ok {
		return invalid("start_time", `must be "HH:MM" (24-hour)`)
	}
	if w.DurationMinutes < 1 || w.DurationMinutes > 7*24*60 {
		return invalid("duration_minutes", "must be between 1 and 10080 (one week)")
	}
	slices.Sort(w.Weekdays)
	w.Weekdays = slices.Compact(w.Weekdays)
	w.StartsAt, w.EndsAt = nil, nil
	return nil
}

func parseHHMM(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil {
		return 0, 0, false
	}
	return h, m, h >= 0 && h < 24 && m >= 0 && m < 60
}

// ActiveAt reports whether the window covers instant t. loc is the window's zone (nil: load it).
func (w *Window) ActiveAt(t time.Time, loc *time.Location) bool {
	if !w.Enabled {
		return false
	}
	switch w.Kind {
	case WindowOnce:
		return w.StartsAt != nil && w.EndsAt != nil && !t.Before(*w.StartsAt) && t.Before(*w.EndsAt)
	case WindowWeekly:
		if loc == nil {
			var err error
			if loc, err = time.LoadLocation(w.TimeZone); err != nil {
				return false
			}
		}
		return w.weeklyActive(t, loc)
	}
	return false
}

// weeklyActive checks the occurrences that started on the days a window of this length can
// still reach t from. Starts are built with time.Date in the zone, so a start inside a DST
// gap moves forward and the duration is real elapsed time.
func (w *Window) weeklyActive(t time.Time, loc *time.Location) bool {
	h, m, ok := parseHHMM(w.StartTime)
	if !ok {
		return false
	}
	local := t.In(loc)
	dur := time.Duration(w.DurationMinutes) * time.Minute
	back := int(dur/(24*time.Hour)) + 1
	for k := 0; k <= back; k++ {
		day := local.AddDate(0, 0, -k)
		start := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
		if !slices.Contains(w.Weekdays, int(start.Weekday())) {
			continue
		}
		if !t.Before(start) && t.Before(start.Add(dur)) {
			return true
		}
	}
	return false
}
