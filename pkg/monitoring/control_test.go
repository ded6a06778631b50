package monitoring_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/tasks"
)

// TestControlAPI drives every control route on real Redis with a real asynq server: an
// operator reads queues, task lists and one task but every action is refused 403; an admin
// cancels the active task, pauses the queue, retries and deletes archived and retry tasks,
// resumes it and purges pending and scheduled tasks (refused without the confirmation); wrong
// states answer 409; every action is in the audit trail.
func TestControlAPI(t *testing.T) {
	s := start(t, "")
	s.fixture()

	viewer := authtest.Token(t, s.auth, auth.RoleViewer)
	for _, path := range []string{"/api/v1/queues", "/api/v1/queues/default/tasks", "/api/v1/queues/default/tasks/f1"} {
		if code, _, _ := s.do(viewer, "GET", path, "", nil); code != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d, want 403 (payloads are for operators)", path, code)
		}
		if code, _, _ := s.do("", "GET", path, "", nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d, want 401", path, code)
		}
	}
	var qs struct{ Queues []monitoring.QueueView }
	if code, _, body := s.do(s.operator, "GET", "/api/v1/queues", "", &qs); code != http.StatusOK {
		t.Fatalf("operator GET /queues: %d %s", code, body)
	}
	counts := map[string][4]int{} // pending, active, retry, archived
	for _, q := range qs.Queues {
		counts[q.Queue] = [4]int{q.Pending, q.Active, q.Retry, q.Archived}
	}
	if d := cmp.Diff(map[string][4]int{"critical": {}, "default": {0, 1, 1, 1}, "notify": {}, "low": {3, 0, 0, 0}}, counts); d != "" {
		t.Errorf("queue counts (-want +got):\n%s", d)
	}
	var list struct{ Tasks []monitoring.TaskView }
	if code, _, body := s.do(s.operator, "GET", "/api/v1/queues/default/tasks?state=active", "", &list); code != http.StatusOK ||
		len(list.Tasks) != 1 || list.Tasks[0].ID != "blk" {
		t.Fatalf("operator active list: %d %s", code, body)
	}
	var task monitoring.TaskView
	if code, _, body := s.do(s.operator, "GET", "/api/v1/queues/default/tasks/f1", "", &task); code != http.StatusOK {
		t.Fatalf("operator GET task: %d %s", code, body)
	}
	if task.State != "retry" || task.Retried != 1 || task.LastError != "boom" || string(task.Payload) != `{"device_id":7}` {
		t.Errorf("task f1 = %+v, want retry, retried 1, error boom, the payload", task)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/queues/default/tasks/blk/cancel", ""},
		{"POST", "/api/v1/queues/default/tasks/f2/retry", ""},
		{"DELETE", "/api/v1/queues/default/tasks/f2", ""},
		{"POST", "/api/v1/queues/default/pause", ""},
		{"POST", "/api/v1/queues/default/resume", ""},
		{"POST", "/api/v1/queues/low/purge", `{"confirm":"low"}`},
	} {
		if code, _, body := s.do(s.operator, c.method, c.path, c.body, nil); code != http.StatusForbidden {
			t.Errorf("operator %s %s: %d %s, want 403", c.method, c.path, code, body)
		}
	}

	for _, c := range []struct {
		name, method, path, body string
		want                     int
		field                    string
	}{
		{"cancel pending refused", "POST", "/api/v1/queues/low/tasks/p1/cancel", "", http.StatusConflict, ""},
		{"retry active refused", "POST", "/api/v1/queues/default/tasks/blk/retry", "", http.StatusConflict, ""},
		{"delete active refused", "DELETE", "/api/v1/queues/default/tasks/blk", "", http.StatusConflict, ""},
		{"unknown task", "GET", "/api/v1/queues/default/tasks/nope", "", http.StatusNotFound, ""},
		{"bad state", "GET", "/api/v1/queues/default/tasks?state=lost", "", http.StatusBadRequest, "state"},
		{"purge unconfirmed", "POST", "/api/v1/queues/low/purge", `{}`, http.StatusBadRequest, "confirm"},
		{"purge wrong confirm", "POST", "/api/v1/queues/low/purge", `{"confirm":"default"}`, http.StatusBadRequest, "confirm"},
		{"purge active", "POST", "/api/v1/queues/low/purge", `{"state":"active","confirm":"low"}`, http.StatusBadRequest, "state"},
		{"purge unknown field", "POST", "/api/v1/queues/low/purge", `{"confirm":"low","force":true}`, http.StatusBadRequest, ""},
		{"cancel", "POST", "/api/v1/queues/default/tasks/blk/cancel", "", http.StatusOK, ""},
		{"pause", "POST", "/api/v1/queues/default/pause", "", http.StatusOK, ""},
		{"retry archived", "POST", "/api/v1/queues/default/tasks/f2/retry", "", http.StatusOK, ""},
		{"delete pending", "DELETE", "/api/v1/queues/default/tasks/f2", "", http.StatusOK, ""},
		{"retry retry", "POST", "/api/v1/queues/default/tasks/f1/retry", "", http.StatusOK, ""},
		{"purge pending", "POST", "/api/v1/queues/low/purge", `{"confirm":"low"}`, http.StatusOK, ""},
		{"purge scheduled", "POST", "/api/v1/queues/low/purge", `{"state":"scheduled","confirm":"low"}`, http.StatusOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := s.do(s.admin, c.method, c.path, c.body, nil)
			if code != c.want || (c.field != "" && !strings.Contains(body, `"field":"`+c.field+`"`)) {
				t.Errorf("%s %s: %d %s, want %d (field %q)", c.method, c.path, code, body, c.want, c.field)
			}
			if c.name == "cancel" { // the handler's ctx is cancelled; MaxRetry 0 archives it
				s.waitState(tasks.QueueDefault, "blk", asynq.TaskStateArchived)
			}
			if c.name == "pause" {
				var qs struct{ Queues []monitoring.QueueView }
				s.do(s.admin, "GET", "/api/v1/queues", "", &qs)
				if i := slices.IndexFunc(qs.Queues, func(q monitoring.QueueView) bool { return q.Queue == "default" }); i < 0 || !qs.Queues[i].Paused {
					t.Errorf("default not paused: %+v", qs.Queues)
				}
			}
		})
	}
	s.waitState(tasks.QueueDefault, "f1", asynq.TaskStatePending) // paused: it stays pending
	if _, err := s.insp.GetTaskInfo(tasks.QueueDefault, "f2"); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("f2 after delete: %v, want not found", err)
	}
	if code, _, body := s.do(s.admin, "POST", "/api/v1/queues/default/resume", "", nil); code != http.StatusOK {
		t.Errorf("resume: %d %s", code, body)
	}
	if info, err := s.insp.GetQueueInfo(tasks.QueueLow); err != nil || info.Pending != 0 || info.Scheduled != 0 {
		t.Errorf("low after purges: %+v %v, want empty", info, err)
	}
	want := []string{"token queue.pause default", "token queue.purge low", "token queue.purge low", "token queue.resume default",
		"token task.cancel default/blk", "token task.delete default/f2", "token task.retry default/f1", "token task.retry default/f2"}
	got := s.audited()
	slices.Sort(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

// TestControlCLI runs every `api tasks` command against real Redis: reads print tables and
// JSON, actions change the tasks, purge asks for the queue's name (a wrong answer purges
// nothing) unless --yes, and every action is audited with actor "cli".
func TestControlCLI(t *testing.T) {
	s := start(t, "")
	s.fixture()
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := monitoring.RunCLI(context.Background(), args, s.ctl, strings.NewReader(stdin), &out)
		return out.String(), err
	}
	must := func(want string, args ...string) {
		t.Helper()
		out, err := run("", args...)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("api tasks %v: %q, %v; want output with %q", args, out, err, want)
		}
	}
	must("low       false   4     3", "queues")
	must("blk  test:block  active", "list", "default", "--state", "active")
	must(`"last_error": "boom"`, "show", "default", "f1")
	if _, err := run("", "cancel", "low", "p1"); !errors.Is(err, monitoring.ErrState) {
		t.Errorf("cancel of a pending task: %v, want ErrState", err)
	}
	if _, err := run("", "list"); !errors.Is(err, monitoring.ErrUsage) {
		t.Errorf("list without a queue: %v, want ErrUsage", err)
	}
	must("cancel default/blk: done", "cancel", "default", "blk")
	s.waitState(tasks.QueueDefault, "blk", asynq.TaskStateArchived)
	must("queue default: paused", "pause", "default")
	must("retry default/f2: done", "retry", "default", "f2")
	s.waitState(tasks.QueueDefault, "f2", asynq.TaskStatePending)
	must("delete default/f2: done", "delete", "default", "f2")
	must("retry default/f1: done", "retry", "default", "f1")
	must("queue default: resumed", "resume", "default")
	if out, err := run("default\n", "purge", "low"); !errors.Is(err, monitoring.ErrConfirm) || !strings.Contains(out, "Type the queue name") {
		t.Errorf("purge answered with another name: %q %v, want the question and ErrConfirm", out, err)
	}
	if info, _ := s.insp.GetQueueInfo(tasks.QueueLow); info.Pending != 3 {
		t.Errorf("pending after a refused purge: %d, want 3", info.Pending)
	}
	if out, err := run("low\n", "purge", "low"); err != nil || !strings.Contains(out, "purged 3 pending task(s) from low") {
		t.Errorf("confirmed purge: %q %v", out, err)
	}
	must("purged 1 scheduled task(s) from low", "purge", "low", "--state", "scheduled", "--yes")
	want := []string{"cli queue.pause default", "cli queue.purge low", "cli queue.purge low", "cli queue.resume default",
		"cli task.cancel default/blk", "cli task.delete default/f2", "cli task.retry default/f1", "cli task.retry default/f2"}
	got := s.audited()
	slices.Sort(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}
