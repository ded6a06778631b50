package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestAdminSchedule: an admin opens the schedule tab, sees the stored jobs, is refused an
// interval below the ping minimum and one a ping cycle does not fit in (the error beside the
// row, the field marked), then saves a
// new interval, which the store holds and the table shows as its spec.
func TestAdminSchedule(t *testing.T) {
	sys := harness.Start(t, harness.Options{NoScheduler: true})
	ctx := context.Background()
	testenv.Must(t, "seed", sys.Store.SeedSchedule(ctx, []store.ScheduleEntry{
		{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true},
		{TaskType: tasks.TypeRetention, Interval: time.Hour, Offset: 3 * time.Minute, Enabled: true}}))
	x := &admin{t: t, sys: sys}
	x.front = startFront(t, sys, nil)
	authtest.User(t, sys.Auth, "noc-admin", auth.RoleAdmin)
	x.b = newBrowser(t)
	x.ctx = x.b.ctx
	x.signIn("noc-admin", authtest.Password, "noc-admin (admin)")
	x.open("#/admin/schedule", `document.querySelectorAll('#schedule-list tbody tr').length === 2`)
	const ping = `document.querySelector('#schedule-list tr[data-task="cycle:ping"]')`
	setInterval := func(v string) {
		eval[bool](x.b, x.ctx, `(() => { const el = `+ping+`.querySelector('input[name=interval]'); el.value = '`+v+`'; return true; })()`)
		eval[bool](x.b, x.ctx, `(`+ping+`.querySelector('button').click(), true)`)
	}
	setInterval("200ms")
	x.b.wait(x.ctx, "interval refused", ping+`.querySelector('.form-msg.error')?.textContent.startsWith('interval of cycle:ping must be from 1s') &&
		`+ping+`.querySelector('input[name=interval]').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
	x.shot("schedule-refused")
	setInterval("1s") // within the bounds, but a ping cycle (1 s timeout + 2 × 10 ms) does not fit
	x.b.wait(x.ctx, "interval under a cycle refused", ping+`.querySelector('.form-msg.error')?.textContent.endsWith('at least 2s') &&
		`+ping+`.querySelector('input[name=interval]').getAttribute('aria-invalid') === 'true'`, 10*time.Second)
	x.shot("schedule-refused-cycle")
	setInterval("15s")
	x.b.wait(x.ctx, "saved", ping+`?.querySelector('code')?.textContent === '@every 15s'`, 10*time.Second)
	x.shot("schedule-saved")
	got, err := sys.Store.GetScheduleEntry(ctx, tasks.TypePingCycle)
	testenv.Must(t, "stored", err)
	if got.Interval != 15*time.Second || got.UpdatedBy != "noc-admin" {
		t.Errorf("stored %+v, want 15s by noc-admin", got)
	}
}
