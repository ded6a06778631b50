package api

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/schedule"
)

func (s *Server) scheduleRoutes() {
	s.V1.GET("/schedule", s.listSchedule, s.viewer())
	s.V1.PATCH("/schedule/:task", s.patchSchedule, s.admin())
}

// listSchedule serves {"schedule":[…]}: every periodic job with its next and last run.
func (s *Server) listSchedule(c *echo.Context) error {
	ctx := c.Request().Context()
	rows, err := s.p.Store.ListSchedule(ctx)
	if err != nil {
		return err
	}
	out := make([]schedule.View, 0, len(rows))
	now := time.Now()
	for _, e := range rows {
		v, err := schedule.ViewOf(ctx, s.p.Redis, e, now)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"schedule": out})
}

// patchSchedule edits one job's interval, offset or enabled flag; the scheduler applies it at
// the job's next slot.
func (s *Server) patchSchedule(c *echo.Context) error {
	task, err := url.PathUnescape(c.Param("task")) // browsers send cycle%3Aping
	if _, ok := schedule.KindOf(task); err != nil || !ok {
		return notFound("periodic job", task)
	}
	var ch schedule.Change
	if err := decodeStrict(c, &ch); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := s.p.Store.GetScheduleEntry(ctx, task)
	if err != nil {
		return storeError(err, "periodic job", task)
	}
	next, err := ch.Apply(cur)
	if err == nil {
		err = s.fitCheck().Check(ctx, next)
	}
	var fe *schedule.FieldError
	if errors.As(err, &fe) {
		return badRequest(fe.Field, "%s", fe.Message)
	}
	if err != nil {
		return err
	}
	next.UpdatedBy = audit.ActorFrom(ctx).Name
	saved, err := s.p.Store.PutScheduleEntry(ctx, next)
	if err != nil {
		return storeError(err, "periodic job", task)
	}
	_ = s.p.Auth.Audit().Record(ctx, schedule.AuditEntry(cur, saved)) // Record logs its own failure
	v, err := schedule.ViewOf(ctx, s.p.Redis, saved, time.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// fitCheck checks ping and SNMP intervals against the longest cycle the stored settings allow.
func (s *Server) fitCheck() schedule.FitCheck {
	p := s.p.Ping
	if p == (schedule.PingTiming{}) {
		p = schedule.PingTiming{Count: config.DefaultPingCount, Spacing: config.DefaultPingSpacing, Timeout: config.DefaultPingTimeout}
	}
	return schedule.FitCheck{Source: s.p.Store, Ping: p}
}
