package monitoring

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/httpsec"
)

// Register adds the task control routes to the API's /api/v1 group: operators read, admins
// act (docs/OPERATIONS.md, pkg/api/openapi.yaml).
//
//	GET    /queues                        queues with their counts
//	GET    /queues/:queue/tasks?state=    tasks of one state (active, pending, scheduled, retry, archived, completed)
//	GET    /queues/:queue/tasks/:id       one task: payload, error, retries
//	POST   /queues/:queue/tasks/:id/cancel  cancel an active task
//	POST   /queues/:queue/tasks/:id/retry   run a retry, archived or scheduled task now
//	DELETE /queues/:queue/tasks/:id       delete a task that is not running
//	POST   /queues/:queue/pause, /resume  pause or resume a queue
//	POST   /queues/:queue/purge           {"state":"pending","confirm":"<queue>"}
func Register(s *api.Server, c *Control) {
	h := handlers{c: c}
	g, read, act := s.V1, s.Guard(auth.RoleOperator), s.Guard(auth.RoleAdmin)
	// the queues carry every device's tasks: a scoped operator reads none of them (like asynqmon)
	g.GET("/queues", h.queues, read, s.FleetWide())
	g.GET("/queues/:queue/tasks", h.list, read, s.FleetWide())
	g.GET("/queues/:queue/tasks/:id", h.task, read, s.FleetWide())
	g.POST("/queues/:queue/tasks/:id/cancel", h.cancel, act)
	g.POST("/queues/:queue/tasks/:id/retry", h.retry, act)
	g.DELETE("/queues/:queue/tasks/:id", h.remove, act)
	g.POST("/queues/:queue/pause", h.pause, act)
	g.POST("/queues/:queue/resume", h.resume, act)
	g.POST("/queues/:queue/purge", h.purge, act)
}

type handlers struct{ c *Control }

func (h handlers) queues(c *echo.Context) error {
	qs, err := h.c.Queues(c.Request().Context())
	if err != nil {
		return httpError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": qs})
}

func (h handlers) list(c *echo.Context) error {
	state := c.QueryParam("state")
	if state == "" {
		state = "pending"
	}
	page, err := intParam(c, "page", 1)
	if err != nil {
		return err
	}
	size, err := intParam(c, "size", 100)
	if err != nil {
		return err
	}
	ts, err := h.c.List(c.Request().Context(), c.Param("queue"), state, page, size)
	if err != nil {
		return httpError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"queue": c.Param("queue"), "state": state, "page": page, "tasks": ts})
}

func intParam(c *echo.Context, name string, def int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, &api.Error{Status: http.StatusBadRequest, Code: "invalid_" + name, Message: name + " must be 1–1000", Field: name}
	}
	return n, nil
}

func (h handlers) task(c *echo.Context) error {
	t, err := h.c.Task(c.Request().Context(), c.Param("queue"), c.Param("id"))
	if err != nil {
		return httpError(err)
	}
	return c.JSON(http.StatusOK, t)
}

func (h handlers) cancel(c *echo.Context) error { return h.taskDo(c, h.c.Cancel, "cancel requested") }
func (h handlers) retry(c *echo.Context) error  { return h.taskDo(c, h.c.Retry, "pending") }
func (h handlers) remove(c *echo.Context) error { return h.taskDo(c, h.c.Delete, "deleted") }

func (h handlers) taskDo(c *echo.Context, f func(ctx context.Context, queue, id string) error, result string) error {
	if err := f(c.Request().Context(), c.Param("queue"), c.Param("id")); err != nil {
		return httpError(err)
	}
	return c.JSON(http.StatusOK, map[string]string{"queue": c.Param("queue"), "id": c.Param("id"), "result": result})
}

func (h handlers) pause(c *echo.Context) error  { return h.queueDo(c, h.c.Pause, true) }
func (h handlers) resume(c *echo.Context) error { return h.queueDo(c, h.c.Resume, false) }

func (h handlers) queueDo(c *echo.Context, f func(ctx context.Context, queue string) error, paused bool) error {
	if err := f(c.Request().Context(), c.Param("queue")); err != nil {
		return httpError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"queue": c.Param("queue"), "paused": paused})
}

// purgeRequest is the body of POST /queues/:queue/purge.
type purgeRequest struct {
	State   string `json:"state"`
	Confirm string `json:"confirm"`
}

func (h handlers) purge(c *echo.Context) error {
	var req purgeRequest
	if err := httpsec.Bind(c, &req); err != nil {
		return err
	}
	n, err := h.c.Purge(c.Request().Context(), c.Param("queue"), req.State, req.Confirm)
	if err != nil {
		return httpError(err)
	}
	state := req.State
	if state == "" {
		state = "pending"
	}
	return c.JSON(http.StatusOK, map[string]any{"queue": c.Param("queue"), "state": state, "deleted": n})
}

// httpError maps Control's errors onto the API's error shape.
func httpError(err error) error {
	var in *InputError
	switch {
	case errors.As(err, &in):
		return &api.Error{Status: http.StatusBadRequest, Code: "invalid_" + in.Field, Message: in.Message, Field: in.Field}
	case errors.Is(err, ErrNotFound):
		return &api.Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	case errors.Is(err, ErrState):
		return &api.Error{Status: http.StatusConflict, Code: "conflict", Message: err.Error()}
	case errors.Is(err, ErrConfirm):
		return &api.Error{Status: http.StatusBadRequest, Code: "invalid_confirm",
			Message: fmt.Sprintf("set confirm to the queue's name to purge it (%v)", err), Field: "confirm"}
	}
	return err
}
