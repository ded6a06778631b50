package monitoring

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/wardops/wardops/pkg/audit"
)

// CLIUsage documents `api tasks`.
const CLIUsage = `usage:
  api tasks queues
  api tasks list QUEUE [--state active|pending|scheduled|retry|archived|completed] [--page N] [--size N]
  api tasks show QUEUE ID
  api tasks cancel QUEUE ID        (an active task)
  api tasks retry QUEUE ID         (a retry, archived or scheduled task: run it now)
  api tasks delete QUEUE ID        (a task that is not running)
  api tasks pause QUEUE
  api tasks resume QUEUE
  api tasks purge QUEUE [--state pending|scheduled|retry|archived|completed] [--yes]
purge deletes every task of the state (default pending) and asks for the queue's name unless
--yes is given. Every action is audited with actor "cli".`

// ErrUsage is returned (wrapped) for a malformed command line; print CLIUsage.
var ErrUsage = errors.New("usage")

// RunCLI runs one `api tasks` command; args follow "tasks" ("list", "default", "--state", "retry").
func RunCLI(ctx context.Context, args []string, c *Control, stdin io.Reader, stdout io.Writer) error {
	ctx = audit.WithActor(ctx, audit.Actor{Name: "cli", Via: audit.ViaCLI})
	if len(args) == 0 {
		return fmt.Errorf("%w: need a command", ErrUsage)
	}
	pos, flagArgs := splitArgs(args[1:])
	fs := flag.NewFlagSet("tasks "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	state := fs.String("state", "", "task state")
	page := fs.Int("page", 1, "page")
	size := fs.Int("size", 100, "page size")
	yes := fs.Bool("yes", false, "purge without asking")
	if err := fs.Parse(flagArgs); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: bad flags %v", ErrUsage, args[0], flagArgs)
	}
	need := func(n int) error {
		if len(pos) != n {
			return fmt.Errorf("%w: %s takes %d argument(s), got %d", ErrUsage, args[0], n, len(pos))
		}
		return nil
	}
	switch args[0] {
	case "queues":
		if err := need(0); err != nil {
			return err
		}
		return cliQueues(ctx, c, stdout)
	case "list":
		if err := need(1); err != nil {
			return err
		}
		if *state == "" {
			*state = "pending"
		}
		return cliList(ctx, c, pos[0], *state, *page, *size, stdout)
	case "show":
		if err := need(2); err != nil {
			return err
		}
		t, err := c.Task(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(t)
	case "cancel", "retry", "delete":
		if err := need(2); err != nil {
			return err
		}
		f := map[string]func(context.Context, string, string) error{"cancel": c.Cancel, "retry": c.Retry, "delete": c.Delete}[args[0]]
		if err := f(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "%s %s/%s: done\n", args[0], pos[0], pos[1])
		return err
	case "pause", "resume":
		if err := need(1); err != nil {
			return err
		}
		f := c.Resume
		if args[0] == "pause" {
			f = c.Pause
		}
		if err := f(ctx, pos[0]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "queue %s: %sd\n", pos[0], args[0])
		return err
	case "purge":
		if err := need(1); err != nil {
			return err
		}
		return cliPurge(ctx, c, pos[0], *state, *yes, stdin, stdout)
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

// splitArgs separates the positional arguments from the flags that follow them.
func splitArgs(args []string) (pos, flags []string) {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[:i], args[i:]
		}
	}
	return args, nil
}

func cliQueues(ctx context.Context, c *Control, out io.Writer) error {
	qs, err := c.Queues(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tPAUSED\tSIZE\tPENDING\tACTIVE\tSCHEDULED\tRETRY\tARCHIVED\tCOMPLETED\tLATENCY\tPROCESSED\tFAILED")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1fs\t%d\t%d\n", q.Queue, q.Paused, q.Size, q.Pending, q.Active,
			q.Scheduled, q.Retry, q.Archived, q.Completed, q.LatencySeconds, q.ProcessedToday, q.FailedToday)
	}
	return tw.Flush()
}

func cliList(ctx context.Context, c *Control, queue, state string, page, size int, out io.Writer) error {
	ts, err := c.List(ctx, queue, state, page, size)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tSTATE\tRETRIED\tMAX_RETRY\tLAST_ERROR")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", t.ID, t.Type, t.State, t.Retried, t.MaxRetry, oneLine(t.LastError, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%d %s task(s) in %s (page %d)\n", len(ts), state, queue, page)
	return err
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

func cliPurge(ctx context.Context, c *Control, queue, state string, yes bool, stdin io.Reader, out io.Writer) error {
	if state == "" {
		state = "pending"
	}
	confirm := queue
	if !yes {
		fmt.Fprintf(out, "This deletes every %s task of queue %s. Type the queue name to confirm: ", state, queue)
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("purge %s: no confirmation read: %w", queue, ErrConfirm)
		}
		confirm = strings.TrimSpace(line)
	}
	n, err := c.Purge(ctx, queue, state, confirm)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "purged %d %s task(s) from %s\n", n, state, queue)
	return err
}
