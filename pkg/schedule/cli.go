package schedule

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/store"
)

// CLIUsage documents `api schedule`.
const CLIUsage = `schedule commands:
  api schedule list
  api schedule set TASK [--interval 30s] [--offset 0s] [--enabled=true|false]
      TASK is cycle:ping, cycle:snmp, ops:worker_health or ops:retention; the scheduler
      applies the change at the job's next slot
`

// ErrUsage is a malformed `api schedule` command line.
var ErrUsage = errors.New("usage")

// Editor is the part of *store.Store the CLI uses: the schedule, and the settings an interval
// is checked against.
type Editor interface {
	ListSchedule(ctx context.Context) ([]store.ScheduleEntry, error)
	GetScheduleEntry(ctx context.Context, taskType string) (store.ScheduleEntry, error)
	PutScheduleEntry(ctx context.Context, e store.ScheduleEntry) (store.ScheduleEntry, error)
	FitSource
}

// CLIParams are what `api schedule` needs; all are required.
type CLIParams struct {
	Store Editor
	Redis redis.UniversalClient
	Audit *audit.Recorder
	// Ping is the worker's ping defaults (WARDOPS_PING_*), which a ping interval must fit.
	Ping PingTiming
	Out  io.Writer
}

// RunCLI runs `api schedule list|set …`, auditing a change as the CLI actor.
func RunCLI(ctx context.Context, args []string, p CLIParams) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: schedule needs list or set", ErrUsage)
	}
	switch args[0] {
	case "list":
		return cliList(ctx, p.Store, p.Redis, p.Out)
	case "set":
		return cliSet(ctx, args[1:], p)
	}
	return fmt.Errorf("%w: unknown schedule command %q", ErrUsage, args[0])
}

func cliList(ctx context.Context, st Editor, rdb redis.UniversalClient, out io.Writer) error {
	rows, err := st.ListSchedule(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tSPEC\tENABLED\tNEXT RUN\tLAST RUN\tUPDATED BY")
	for _, e := range rows {
		v, err := ViewOf(ctx, rdb, e, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", v.TaskType, v.Spec, v.Enabled, fmtTime(v.NextRun), fmtTime(v.LastRun), v.UpdatedBy)
	}
	return tw.Flush()
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func cliSet(ctx context.Context, args []string, p CLIParams) error {
	st := p.Store
	if len(args) == 0 {
		return fmt.Errorf("%w: schedule set needs a TASK", ErrUsage)
	}
	task := args[0]
	fs := flag.NewFlagSet("schedule set", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ch Change
	fs.Func("interval", "interval", func(s string) error { ch.Interval = &s; return nil })
	fs.Func("offset", "offset", func(s string) error { ch.Offset = &s; return nil })
	fs.BoolFunc("enabled", "enabled", func(s string) error {
		b := s == "true"
		if s != "true" && s != "false" {
			return fmt.Errorf("--enabled takes true or false")
		}
		ch.Enabled = &b
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: schedule set %s: %v", ErrUsage, task, errors.Join(err, extra(fs.Args())))
	}
	if _, ok := KindOf(task); !ok {
		return &FieldError{"task_type", fmt.Sprintf("unknown periodic job %q", task)}
	}
	cur, err := st.GetScheduleEntry(ctx, task)
	if err != nil {
		return fmt.Errorf("periodic job %s (the scheduler seeds it at its first start): %w", task, err)
	}
	next, err := ch.Apply(cur)
	if err != nil {
		return err
	}
	if err := (FitCheck{Source: st, Ping: p.Ping}).Check(ctx, next); err != nil {
		return err
	}
	next.UpdatedBy = "cli"
	saved, err := st.PutScheduleEntry(ctx, next)
	if err != nil {
		return err
	}
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli", Via: audit.ViaCLI})
	if err := p.Audit.Record(ctx, AuditEntry(cur, saved)); err != nil {
		return err
	}
	fmt.Fprintf(p.Out, "%s: %s (enabled %v), from its next slot\n", saved.TaskType, Spec(Job{TaskType: saved.TaskType, Interval: saved.Interval, Offset: saved.Offset}), saved.Enabled)
	return nil
}

func extra(args []string) error {
	if len(args) == 0 {
		return nil
	}
	return fmt.Errorf("unexpected arguments %q", args)
}

// AuditEntry is the audit record of a schedule edit, before and after.
func AuditEntry(before, after store.ScheduleEntry) audit.Entry {
	return audit.Entry{Action: "schedule.update", TargetType: "schedule", TargetID: after.TaskType,
		Before: auditDoc(before), After: auditDoc(after)}
}

func auditDoc(e store.ScheduleEntry) map[string]any {
	return map[string]any{"task_type": e.TaskType, "interval": shortDuration(e.Interval), "offset": shortDuration(e.Offset),
		"enabled": e.Enabled, "spec": Spec(Job{TaskType: e.TaskType, Interval: e.Interval, Offset: e.Offset})}
}
