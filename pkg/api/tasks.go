package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/tasks"
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
	if err := s.checkTask(c, info); err != nil {
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

// checkTask answers 404 to a scoped caller for a task that is not about one of its devices:
// the on-demand ping and SNMP test carry {"device_id"}; cycles and batches span the fleet.
func (s *Server) checkTask(c *echo.Context, info *asynq.TaskInfo) error {
	sc, err := callerScope(c)
	if err != nil || sc.All() {
		return err
	}
	var p tasks.DevicePayload
	if info.Type != tasks.TypePingDevice && info.Type != tasks.TypeSNMPTest || json.Unmarshal(info.Payload, &p) != nil || p.DeviceID == 0 {
		return notFound("task", info.Queue+"/"+info.ID)
	}
	if err := s.deviceInScope(c.Request().Context(), sc, p.DeviceID); err != nil {
		return storeError(err, "task", info.Queue+"/"+info.ID)
	}
	return nil
}
