package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wardops/wardops/testinfra/testenv"
)

type taskAnswer struct {
	ID          string     `json:"id"`
	Queue       string     `json:"queue"`
	Type        string     `json:"type"`
	State       string     `json:"state"`
	CompletedAt *time.Time `json:"completed_at"`
	Result      *struct {
		DeviceID int64    `json:"device_id"`
		Status   string   `json:"status"`
		Sent     int      `json:"sent"`
		Received int      `json:"received"`
		LossPct  float64  `json:"loss_pct"`
		RTTAvgMS *float64 `json:"rtt_avg_ms"`
	} `json:"result"`
}

// TestPingNow: POST /devices/{id}/ping answers 202 with a task on the critical queue; the
// worker pings the loopback device and GET /tasks/{queue}/{id} shows it completed with the
// result, which also lands in the device's status.
func TestPingNow(t *testing.T) {
	testenv.RequireICMP(t)
	sys := startAPI(t)
	d := createDevice(t, sys, `{"name":"lo","ip":"127.53.0.1"}`)

	a := jsonCall(t, sys, http.MethodPost, fmt.Sprintf("/api/v1/devices/%d/ping", d.ID), "")
	var enq struct {
		TaskID    string `json:"task_id"`
		Queue     string `json:"queue"`
		StatusURL string `json:"status_url"`
	}
	a.decode(t, &enq)
	if a.Status != http.StatusAccepted || enq.TaskID == "" || enq.Queue != "critical" ||
		enq.StatusURL != "/api/v1/tasks/critical/"+enq.TaskID {
		t.Fatalf("ping: HTTP %d %s", a.Status, a.Body)
	}

	var task taskAnswer
	deadline := time.Now().Add(15 * time.Second)
	for {
		task = taskAnswer{}
		a = jsonCall(t, sys, http.MethodGet, enq.StatusURL, "")
		if a.Status != http.StatusOK {
			t.Fatalf("task: HTTP %d %s", a.Status, a.Body)
		}
		a.decode(t, &task)
		if task.State == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task not completed within 15s: %s", a.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := task.Result
	if task.ID != enq.TaskID || task.Type != "ping:device" || task.CompletedAt == nil || r == nil ||
		r.DeviceID != d.ID || r.Status != "up" || r.Sent != 3 || r.Received != 3 || r.LossPct != 0 ||
		r.RTTAvgMS == nil || *r.RTTAvgMS <= 0 {
		t.Fatalf("completed task %s: want an up result for device %d", a.Body, d.ID)
	}

	var dev deviceView
	jsonCall(t, sys, http.MethodGet, fmt.Sprintf("/api/v1/devices/%d", d.ID), "").decode(t, &dev)
	if dev.Status != "up" || dev.RTTMS == nil {
		t.Errorf("device after the on-demand ping: status %q rtt %v, want up with an rtt", dev.Status, dev.RTTMS)
	}
}

// TestTaskErrors: unknown tasks and queues are 404, malformed references 400, and pinging a
// device that does not exist is 404 without enqueuing anything.
func TestTaskErrors(t *testing.T) {
	sys := startAPI(t)
	cases := []struct {
		name, method, path string
		status             int
		code, field        string
	}{
		{"unknown task", http.MethodGet, "/api/v1/tasks/critical/no-such-task", 404, "not_found", ""},
		{"unknown queue", http.MethodGet, "/api/v1/tasks/no-such-queue/abc", 404, "not_found", ""},
		{"bad queue name", http.MethodGet, "/api/v1/tasks/crit*cal/abc", 400, "invalid_queue", "queue"},
		{"bad task id", http.MethodGet, "/api/v1/tasks/critical/a%20b", 400, "invalid_id", "id"},
		{"ping a missing device", http.MethodPost, "/api/v1/devices/999999/ping", 404, "not_found", ""},
		{"ping a bad id", http.MethodPost, "/api/v1/devices/x/ping", 400, "invalid_id", "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			jsonCall(t, sys, tc.method, tc.path, "").wantError(t, tc.name, tc.status, tc.code, tc.field)
		})
	}
}
