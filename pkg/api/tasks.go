package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
)

var taskRefRe = regexp.MustCompile(`^[A-Za-z0-9_:\-.]{1,200}$`)

// taskView is the JSON of a task's state.
type taskView struct {
	ID            string          `json:"id"`
	Queue         string          `json:"queue"`
	Type          string          `json:"type"`
	State         string          `json:"state"`
	Retried       int             `json:"retried"`
	MaxRetry      int             `json:"max_retry"`
	LastError     string          `json:"last_error,omitempty"`
	CompletedAt   *time.Time      `json:"completed_at"`
	NextProcessAt *time.Time      `json:"next_process_at"`
	Result        json.RawMessage `json:"result"`
}

// getTask reports the state (pending, active, retry, completed, archived…) and result of a task.
func (s *Server) getTask(c *echo.Context) error {
	queue, id := c.Param("queue"), c.Param("id")
	if !taskRefRe.MatchString(queue) {
		return badRequest("queue", "invalid queue name")
	}
	if !taskRefRe.MatchString(id) {
		return badRequest("id", "invalid task id")
	}
	info, err := s.p.Tasks.GetTaskInfo(queue, id)
	if errors.Is(err, asynq.ErrQueueNotFound) || errors.Is(err, asynq.ErrTaskNotFound) {
		return notFound("task", queue+"/"+id)
	}
	if err != nil {
		return err
	}
	v := taskView{ID: info.ID, Queue: info.Queue, Type: info.Type, State: info.State.String(), Retried: info.Retried,
		MaxRetry: info.MaxRetry, LastError: info.LastErr, CompletedAt: timePtr(info.CompletedAt), NextProcessAt: timePtr(info.NextProcessAt)}
	if len(info.Result) > 0 && json.Valid(info.Result) {
		v.Result = info.Result
	}
	return c.JSON(http.StatusOK, v)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
