package schedule_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestScheduleCLI: `api schedule set` stores and audits an edit, refuses a bad value naming
// the field, and `api schedule list` shows the new spec.
func TestScheduleCLI(t *testing.T) {
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	rdb := testenv.NewRedis(t)
	ctx := testenv.Ctx(t, 20*time.Second)
	testenv.Must(t, "seed", st.SeedSchedule(ctx, []store.ScheduleEntry{{TaskType: tasks.TypeWorkerHealth, Interval: 15 * time.Second, Enabled: true}}))
	rec := audit.New(st, nil, nil)
	var out bytes.Buffer
	cli := schedule.CLIParams{Store: st, Redis: rdb, Audit: rec, Ping: schedule.PingTiming{Count: 3, Spacing: 10 * time.Millisecond, Timeout: time.Second}, Out: &out}
	testenv.Must(t, "set", schedule.RunCLI(ctx, []string{"set", "ops:worker_health", "--interval", "1m", "--enabled=false"}, cli))
	if !strings.Contains(out.String(), "ops:worker_health: @every 1m (enabled false)") {
		t.Errorf("set printed %q", out.String())
	}
	var fe *schedule.FieldError
	if err := schedule.RunCLI(ctx, []string{"set", "ops:worker_health", "--offset", "2m"}, cli); !errors.As(err, &fe) || fe.Field != "offset" {
		t.Errorf("offset past interval: %v, want a FieldError on offset", err)
	}
	if err := schedule.RunCLI(ctx, []string{"set"}, cli); !errors.Is(err, schedule.ErrUsage) {
		t.Errorf("set without task: %v, want ErrUsage", err)
	}
	out.Reset()
	testenv.Must(t, "list", schedule.RunCLI(ctx, []string{"list"}, cli))
	if !strings.Contains(out.String(), "ops:worker_health  @every 1m  false") {
		t.Errorf("list printed\n%s", out.String())
	}
	testenv.Must(t, "seed ping", st.SeedSchedule(ctx, []store.ScheduleEntry{{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true}}))
	if err := schedule.RunCLI(ctx, []string{"set", "cycle:ping", "--interval", "1s"}, cli); !errors.As(err, &fe) || fe.Field != "interval" ||
		!strings.HasSuffix(fe.Message, "(1.02s, the worker's defaults: timeout 1s + 2 × 10ms spacing): at least 2s") {
		t.Errorf("ping interval under a cycle: %v, want a FieldError on interval naming the minimum", err)
	}
	recs, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "schedule.update"})
	testenv.Must(t, "audit", err)
	if len(recs) != 1 || recs[0].Via != audit.ViaCLI || !strings.Contains(string(recs[0].Before), `"interval": "15s"`) && !strings.Contains(string(recs[0].Before), `"interval":"15s"`) {
		t.Errorf("audit %+v", recs)
	}
}
