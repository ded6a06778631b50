package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// writeStore writes every row of day through store.WritePingResults — the worker's write path:
// per call one batch of one slot (batch devices), in one transaction the clearing of a
// retried batch's rows, the COPY, the latest-status upsert and the status-change events — with
// writers calls at a time, slots in order as the worker's cycles come.
func writeStore(ctx context.Context, st *store.Store, f fleet, day time.Time, batch, writers int) (time.Duration, error) {
	type job struct{ slot, from, to int }
	jobs := make(chan job, writers)
	errc := make(chan error, writers)
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]store.PingResult, 0, batch)
			for j := range jobs {
				res = res[:0]
				for i := j.from; i < j.to; i++ {
					res = append(res, f.result(day, i, j.slot))
				}
				if _, err := st.WritePingResults(ctx, res); err != nil {
					errc <- fmt.Errorf("slot %d devices %d-%d: %w", j.slot, j.from, j.to, err)
					return
				}
			}
		}()
	}
	err := func() error {
		defer close(jobs)
		for s := 0; s < f.slots; s++ {
			for from := 0; from < f.inSlot(s); from += batch {
				select {
				case jobs <- job{s, from, min(from+batch, f.inSlot(s))}:
				case err := <-errc:
					return err
				}
			}
		}
		return nil
	}()
	wg.Wait()
	took := time.Since(t0)
	if err != nil {
		return took, err
	}
	select {
	case err := <-errc:
		return took, err
	default:
		return took, nil
	}
}

// copyPsql loads csvPath into ping_results with one `COPY … FROM STDIN (FORMAT csv)` run by
// psql: the fastest this PostgreSQL takes these rows, the limit for the store's path.
func copyPsql(ctx context.Context, dbURL, csvPath string) (time.Duration, error) {
	in, err := os.Open(csvPath)
	if err != nil {
		return 0, fmt.Errorf("psql copy: %w", err)
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, "psql", dbURL, "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-c", "COPY ping_results ("+pingColumns+") FROM STDIN WITH (FORMAT csv)")
	cmd.Stdin = in
	var errb strings.Builder
	cmd.Stderr = &errb
	t0 := time.Now()
	err = cmd.Run()
	took := time.Since(t0)
	if err != nil {
		return took, fmt.Errorf("psql copy: %w: %s", err, strings.TrimSpace(errb.String()))
	}
	return took, nil
}
