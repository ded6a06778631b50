package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/store"
)

// Timeline bounds: the default look-back (the overview's "last hour") and the longest one, and
// the default and largest page.
const (
	timelineDefaultSince = time.Hour
	timelineMaxSince     = 7 * 24 * time.Hour
	timelineDefaultLimit = 200
	timelineMaxLimit     = 1000
)

// timeline: GET /api/v1/timeline?since=1h|RFC3339&until=RFC3339&source=device,alert
// &severity=critical,major&device_id=&q=&limit= → {"changes":[…] newest first, "more": bool,
// "since", "until"}. The devices' state changes and the alerts' events of the caller's scope
// (issue 14 point 6: what the next shift needs to see).
func (s *Server) timeline(c *echo.Context) error {
	now := time.Now().UTC()
	f := store.TimelineFilter{Until: now}
	var err error
	if f.Since, err = timelineSince(c.QueryParam("since"), now); err != nil {
		return err
	}
	if v := c.QueryParam("until"); v != "" {
		if f.Until, err = time.Parse(time.RFC3339, v); err != nil || !f.Until.After(f.Since) {
			return badRequest("until", "until must be an RFC 3339 time after since")
		}
	}
	if f.Sources, err = queryList(c, "source", map[string]bool{store.ChangeDevice: true, store.ChangeAlert: true}); err != nil {
		return err
	}
	if f.Severities, err = queryList(c, "severity", severities); err != nil {
		return err
	}
	if f.DeviceID, err = queryInt(c, "device_id", 1, 1<<62); err != nil {
		return err
	}
	if f.Text, err = fieldSafe("q", strings.TrimSpace(c.QueryParam("q"))); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1, timelineMaxLimit)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	if f.Limit == 0 {
		f.Limit = timelineDefaultLimit
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	f.Scope = sc.Device()
	list, more, err := s.p.Store.Timeline(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"changes": orEmpty(list), "more": more, "since": f.Since, "until": f.Until})
}

// timelineSince reads since: a duration back from now ("1h", "90m") or an RFC 3339 time, at
// most timelineMaxSince ago; empty is the last hour.
func timelineSince(v string, now time.Time) (time.Time, error) {
	const msg = "since must be a duration back from now (1h, 90m) or an RFC 3339 time, at most 7 days ago"
	if v == "" {
		return now.Add(-timelineDefaultSince), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		d, derr := time.ParseDuration(v)
		if derr != nil || d <= 0 {
			return time.Time{}, badRequest("since", msg)
		}
		t = now.Add(-d)
	}
	if now.Sub(t) > timelineMaxSince || t.After(now) {
		return time.Time{}, badRequest("since", msg)
	}
	return t.UTC(), nil
}

// queryList reads a comma-separated query parameter whose every item is in allowed.
func queryList(c *echo.Context, name string, allowed map[string]bool) ([]string, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, x := range strings.Split(v, ",") {
		x = strings.TrimSpace(x)
		if x == "" || !allowed[x] {
			return nil, badRequest(name, "%s must be a comma-separated list of %s", name, strings.Join(keysOf(allowed), ", "))
		}
		out = append(out, x)
	}
	return out, nil
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
