package api

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
)

// Alerting is what the alert routes need: the alert and channel services for writes with side
// effects (cache invalidation, live events, resolves), the store for reads.
type Alerting struct {
	Alerts   *alert.Service
	Channels *notify.Service
}

func (s *Server) alertRoutes() {
	if s.p.Alerting == nil {
		return
	}
	g := s.V1
	g.GET("/alerts", s.listAlerts, s.viewer(), s.gzip)
	g.GET("/alerts/problems", s.problemList, s.viewer(), s.gzip)
	g.GET("/alerts/:id", s.getAlert, s.viewer())
	g.POST("/alerts/:id/ack", s.ackAlert, s.operator())
	g.POST("/alerts/:id/unack", s.unackAlert, s.operator())
	g.POST("/alerts/:id/close", s.closeAlert, s.operator())
	g.GET("/incidents", s.listIncidents, s.viewer(), s.gzip)
	g.GET("/incidents/:id", s.getIncident, s.viewer())
	g.GET("/rules", s.listRules, s.viewer())
	g.POST("/rules", s.createRule, s.admin())
	g.GET("/rules/:id", s.getRule, s.viewer())
	g.PATCH("/rules/:id", s.patchRule, s.admin())
	g.DELETE("/rules/:id", s.deleteRule, s.admin())
	g.GET("/maintenance", s.listWindows, s.viewer())
	g.POST("/maintenance", s.createWindow, s.operator())
	g.GET("/maintenance/:id", s.getWindow, s.viewer())
	g.PUT("/maintenance/:id", s.putWindow, s.operator())
	g.DELETE("/maintenance/:id", s.deleteWindow, s.operator())
	g.GET("/channels", s.listChannels, s.viewer())
	g.POST("/channels", s.createChannel, s.admin())
	g.GET("/channels/:id", s.getChannel, s.viewer())
	g.PATCH("/channels/:id", s.patchChannel, s.admin())
	g.DELETE("/channels/:id", s.deleteChannel, s.admin())
	g.POST("/channels/:id/test", s.testChannel, s.admin())
	g.GET("/deliveries", s.listDeliveries, s.viewer())
}

// alertError maps validation errors (any error naming its field) to 400, a missing secret key
// to 409, and store errors as usual.
func alertError(err error, what string, id any) error {
	var fe interface{ FieldName() string }
	switch {
	case errors.As(err, &fe):
		return badRequest(fe.FieldName(), "%s", err.Error())
	case errors.Is(err, alert.ErrInvalid):
		return badRequest("", "%s", err.Error())
	case errors.Is(err, secrets.ErrNoKey):
		return &Error{Status: http.StatusConflict, Code: "no_secret_key", Message: "secrets cannot be stored: the server has no WARDOPS_SECRET_KEY"}
	}
	return storeError(err, what, id)
}

func queryInt(c *echo.Context, name string, lo, hi int64) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func cursorJSON(next int64) *string {
	if next <= 0 {
		return nil
	}
	v := strconv.FormatInt(next, 10)
	return &v
}

var alertStates = map[string]bool{"": true, "firing": true, "acknowledged": true, "resolved": true, "suppressed": true, "open": true}
var severities = map[string]bool{"": true, "critical": true, "major": true, "minor": true, "warning": true}

// listAlerts: ?state=&severity=&kind=&branch=&region=&q=&device_id=&rule_id=&incident_id=
// &in_open_incident=&sort=&order=&limit=&offset=&cursor= → {"alerts":[…],"next_cursor","total"}:
// one page of the matching alerts of the caller's scope and how many match in all.
func (s *Server) listAlerts(c *echo.Context) error {
	f, err := alertFilter(c)
	if err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	f.Scope = sc.Device()
	ctx := c.Request().Context()
	// the count runs beside the page, on its own connection
	type count struct {
		n   int
		err error
	}
	counted := make(chan count, 1)
	go func() {
		n, err := s.p.Store.CountAlerts(ctx, f)
		counted <- count{n, err}
	}()
	list, next, err := s.p.Store.ListAlerts(ctx, f)
	total := <-counted
	if err != nil {
		return err
	}
	if total.err != nil {
		return total.err
	}
	return c.JSON(http.StatusOK, map[string]any{"alerts": orEmpty(list), "next_cursor": cursorJSON(next), "total": total.n})
}

// alertSortOrder is each sort's order when the query gives none: the most severe first, the
// oldest first, device names A to Z.
var alertSortOrder = map[store.AlertSort]string{store.SortSeverity: "desc", store.SortAge: "desc", store.SortDevice: "asc"}

// maxFilterText bounds the text filters (q, branch, region).
const maxFilterText = 200

// alertFilter reads and checks the query of GET /alerts, naming the first bad field.
func alertFilter(c *echo.Context) (store.AlertFilter, error) {
	q := c.QueryParam
	f := store.AlertFilter{State: q("state"), Severity: q("severity"), Kind: q("kind"), Branch: q("branch"), Region: q("region"),
		Text: q("q"), Sort: store.AlertSort(q("sort"))}
	if !alertStates[f.State] {
		return f, badRequest("state", "state must be one of firing, acknowledged, resolved, suppressed, open")
	}
	if !severities[f.Severity] {
		return f, badRequest("severity", "severity must be one of critical, major, minor, warning")
	}
	if f.Kind != "" && !alert.Kind(f.Kind).Valid() {
		return f, badRequest("kind", "kind must be a rule kind (device_down, if_down, cpu_pct, …)")
	}
	for _, p := range [][2]string{{"q", f.Text}, {"branch", f.Branch}, {"region", f.Region}} {
		if len(p[1]) > maxFilterText {
			return f, badRequest(p[0], "%s must be at most %d bytes", p[0], maxFilterText)
		}
	}
	if !f.Sort.Valid() || (f.Sort == store.SortNewest && q("sort") != "") {
		return f, badRequest("sort", "sort must be one of severity, age, device")
	}
	switch order := q("order"); {
	case order != "" && order != "asc" && order != "desc":
		return f, badRequest("order", "order must be asc or desc")
	case order != "" && f.Sort == store.SortNewest:
		return f, badRequest("order", "order needs a sort (severity, age or device)")
	default:
		f.Desc = cmp.Or(order, alertSortOrder[f.Sort]) == "desc"
	}
	switch v := q("in_open_incident"); v {
	case "":
	case "true", "false":
		in := v == "true"
		f.InOpenIncident = &in
	default:
		return f, badRequest("in_open_incident", "in_open_incident must be true or false")
	}
	var err error
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"device_id", &f.DeviceID}, {"rule_id", &f.RuleID}, {"incident_id", &f.IncidentID}, {"cursor", &f.Before}} {
		if *p.dst, err = queryInt(c, p.name, 0, 1<<62); err != nil {
			return f, err
		}
	}
	limit, err := queryInt(c, "limit", 1, 1000)
	if err != nil {
		return f, err
	}
	offset, err := queryInt(c, "offset", 0, maxAlertOffset)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset = int(limit), int(offset)
	if f.Before != 0 && (f.Sort != store.SortNewest || f.Offset != 0) {
		return f, badRequest("cursor", "cursor pages the newest-first list; with sort or offset, page by offset")
	}
	return f, nil
}

// maxAlertOffset bounds offset paging (a page further than that is a search to narrow).
const maxAlertOffset = 1_000_000

// problemList: ?limit=&per_row= → the problem list of the caller's scope (alert.Problems):
// counts per severity, each section's first limit rows (default 50, at most 1000) and every
// critical row, at most per_row alerts a row (default 50, at most 1000).
func (s *Server) problemList(c *echo.Context) error {
	limit, err := queryInt(c, "limit", 1, 1000)
	if err != nil {
		return err
	}
	perRow, err := queryInt(c, "per_row", 1, 1000)
	if err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	p, err := s.p.Store.Problems(c.Request().Context(), sc.Device(), int(cmp.Or(limit, 50)), int(cmp.Or(perRow, 50)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) getAlert(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkAlert(c, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.p.Store.GetAlert(ctx, id)
	if err != nil {
		return storeError(err, "alert", id)
	}
	evs, err := s.p.Store.AlertEvents(ctx, id)
	if err != nil {
		return err
	}
	dl, err := s.p.Store.ListDeliveries(ctx, store.DeliveryFilter{AlertID: id, Limit: 100})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"alert": a, "events": orEmpty(evs), "deliveries": orEmpty(dl)})
}

// ackBody is the body of ack/close: a comment and, for ack, an optional expiry.
type ackBody struct {
	Comment   string     `json:"comment"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func who(c *echo.Context) string {
	if id, ok := auth.Principal(c); ok {
		return id.Username
	}
	return "unknown"
}

func (s *Server) ackAlert(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkAlert(c, id); err != nil {
		return err
	}
	var b ackBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.ExpiresAt != nil && !b.ExpiresAt.After(time.Now()) {
		return badRequest("expires_at", "expires_at must be in the future")
	}
	before := current(c.Request().Context(), s.p.Store.GetAlert, id)
	a, err := s.p.Alerting.Alerts.Ack(c.Request().Context(), id, who(c), b.Comment, b.ExpiresAt)
	if err != nil {
		return alertError(err, "alert", id)
	}
	s.record(c, "alert.ack", "alert", id, before, a)
	return c.JSON(http.StatusOK, map[string]any{"alert": a})
}

func (s *Server) unackAlert(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkAlert(c, id); err != nil {
		return err
	}
	before := current(c.Request().Context(), s.p.Store.GetAlert, id)
	a, err := s.p.Alerting.Alerts.Unack(c.Request().Context(), id, who(c))
	if err != nil {
		return alertError(err, "alert", id)
	}
	s.record(c, "alert.unack", "alert", id, before, a)
	return c.JSON(http.StatusOK, map[string]any{"alert": a})
}

func (s *Server) closeAlert(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkAlert(c, id); err != nil {
		return err
	}
	var b ackBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.Comment == "" {
		return badRequest("comment", "closing an alert by hand needs a comment")
	}
	before := current(c.Request().Context(), s.p.Store.GetAlert, id)
	a, err := s.p.Alerting.Alerts.Close(c.Request().Context(), id, who(c), b.Comment)
	if err != nil {
		return alertError(err, "alert", id)
	}
	s.record(c, "alert.close", "alert", id, before, a)
	return c.JSON(http.StatusOK, map[string]any{"alert": a})
}

// listIncidents: ?state=open|resolved&cursor=&limit= → {"incidents":[…],"next_cursor"}.
func (s *Server) listIncidents(c *echo.Context) error {
	state := c.QueryParam("state")
	if state != "" && state != "open" && state != "resolved" {
		return badRequest("state", "state must be open or resolved")
	}
	before, err := queryInt(c, "cursor", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1, 1000)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	list, err := s.p.Store.ListIncidentsIn(c.Request().Context(), sc.Device(), state, before, int(limit))
	if err != nil {
		return err
	}
	var next int64
	if len(list) == int(limit) {
		next = list[len(list)-1].ID
	}
	return c.JSON(http.StatusOK, map[string]any{"incidents": orEmpty(list), "next_cursor": cursorJSON(next)})
}

// getIncident answers the incident with its alerts (the parent's and the suppressed children's).
func (s *Server) getIncident(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkIncident(c, id); err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	inc, err := s.p.Store.GetIncident(ctx, id)
	if err != nil {
		return storeError(err, "incident", id)
	}
	// a scoped caller sees the incident of its root device, and of its alerts only its own
	alerts, _, err := s.p.Store.ListAlerts(ctx, store.AlertFilter{IncidentID: id, Limit: 1000, Scope: sc.Device()})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"incident": inc, "alerts": orEmpty(alerts)})
}
