package api

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/store"
)

// Scoped roles (docs/SECURITY.md "Scoped roles"): a viewer or operator may be limited to some
// regions or branches. Lists are filtered in their queries; a single object outside the
// caller's scope answers 404 exactly like a missing one, so a scoped caller cannot even learn
// that it exists. Every check here fails closed: no principal, a device that cannot be read or
// an object without a device (system alerts) is out of every limited scope.

// errNoPrincipal answers a request that reached a scoped handler without a caller: the guards
// make that impossible, so it only shows up if a route lost its guard.
var errNoPrincipal = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: "sign in or send an API token"}

// callerScope returns the scope of the request's caller (the zero Scope: unlimited).
func callerScope(c *echo.Context) (auth.Scope, error) {
	p, ok := auth.Principal(c)
	if !ok {
		return auth.Scope{}, errNoPrincipal
	}
	return p.Scope, nil
}

// deviceInScope is nil when device id exists in sc, else ErrNotFound; an unlimited scope
// needs no query (the handler's own read answers a missing device).
func (s *Server) deviceInScope(ctx context.Context, sc auth.Scope, id int64) error {
	if sc.All() {
		return nil
	}
	d, err := s.p.Store.GetDevice(ctx, id)
	if err != nil {
		return err
	}
	if !sc.Contains(d.Region, d.Branch) {
		return store.ErrNotFound
	}
	return nil
}

// checkDevice answers 404 for a device the caller may not see (or that does not exist).
func (s *Server) checkDevice(c *echo.Context, id int64) error {
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	if err := s.deviceInScope(c.Request().Context(), sc, id); err != nil {
		return storeError(err, "device", id)
	}
	return nil
}

// checkAlert answers 404 for an alert the caller may not see: a scoped caller sees the alerts
// of its devices only, never system alerts (no device).
func (s *Server) checkAlert(c *echo.Context, id int64) error {
	sc, err := callerScope(c)
	if err != nil || sc.All() {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.p.Store.GetAlert(ctx, id)
	if err == nil && a.DeviceID == 0 {
		err = store.ErrNotFound
	}
	if err == nil {
		err = s.deviceInScope(ctx, sc, a.DeviceID)
	}
	if err != nil {
		return storeError(err, "alert", id)
	}
	return nil
}

// checkIncident answers 404 for an incident whose root device the caller may not see.
func (s *Server) checkIncident(c *echo.Context, id int64) error {
	sc, err := callerScope(c)
	if err != nil || sc.All() {
		return err
	}
	ctx := c.Request().Context()
	inc, err := s.p.Store.GetIncident(ctx, id)
	if err == nil {
		err = s.deviceInScope(ctx, sc, inc.RootDeviceID)
	}
	if err != nil {
		return storeError(err, "incident", id)
	}
	return nil
}

// targetsInScope reports whether a maintenance window's targets lie wholly inside sc, judged
// from the targets alone so that the answer holds for devices added later: the targets must
// name regions all in the scope's regions, or branches all in its branches, or devices that
// are all in scope now (target fields combine with AND, so any one of these bounds the whole;
// types and labels only narrow further). Moving a device elsewhere later is an admin's act.
func (s *Server) targetsInScope(ctx context.Context, sc auth.Scope, t alert.Scope) (bool, error) {
	if sc.All() {
		return true, nil
	}
	subset := func(l, of []string) bool {
		return len(l) > 0 && !slices.ContainsFunc(l, func(v string) bool { return !slices.Contains(of, v) })
	}
	if subset(t.Regions, sc.Regions) || subset(t.Branches, sc.Branches) {
		return true, nil
	}
	if len(t.Devices) == 0 {
		return false, nil
	}
	for _, id := range t.Devices {
		err := s.deviceInScope(ctx, sc, id)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// checkWindow answers 404 for a maintenance window whose targets reach beyond the caller's
// scope: a scoped operator sees, edits and deletes only the windows of its own devices.
func (s *Server) checkWindow(c *echo.Context, id int64) error {
	sc, err := callerScope(c)
	if err != nil || sc.All() {
		return err
	}
	ctx := c.Request().Context()
	w, err := s.p.Store.GetWindow(ctx, id)
	if err != nil {
		return storeError(err, "maintenance window", id)
	}
	ok, err := s.targetsInScope(ctx, sc, w.Targets)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("maintenance window", id)
	}
	return nil
}

// checkTargets refuses (400 on "targets") a window a scoped operator writes that would reach
// devices outside its scope.
func (s *Server) checkTargets(c *echo.Context, t alert.Scope) error {
	sc, err := callerScope(c)
	if err != nil || sc.All() {
		return err
	}
	ok, err := s.targetsInScope(c.Request().Context(), sc, t)
	if err != nil {
		return err
	}
	if !ok {
		return badRequest("targets", "targets must lie inside your scope (%s): name your regions, your branches or your devices", sc)
	}
	return nil
}

// fleetWide refuses scoped callers on routes whose answers span the whole fleet and cannot be
// cut to a scope (asynqmon, /metrics); callers without a principal (an allow-listed scraper)
// and unscoped ones pass. Mount it after the route's guard.
func fleetWide(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if p, ok := auth.Principal(c); ok && !p.Scope.All() {
			return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "this shows the whole fleet: a scoped user cannot use it"}
		}
		return next(c)
	}
}
