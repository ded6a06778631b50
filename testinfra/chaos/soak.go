package chaos

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// SoakSample is one minute of a soak: per process RSS and goroutines, and the database's
// connections (all WardOps processes) with those idle in a transaction.
type SoakSample struct {
	At time.Time
	// RSSMB and Goroutines are keyed by process name (api, worker-1, scheduler-1).
	RSSMB      map[string]float64
	Goroutines map[string]float64
	// HeapMB is the Go heap in use per process (go_memstats_heap_inuse_bytes).
	HeapMB map[string]float64
	// PGConns is keyed by application_name; PGIdleInTx sums idle-in-transaction connections.
	PGConns    map[string]int
	PGIdleInTx int
	// CompleteCycles counts the slots so far in which every device has a row.
	CompleteCycles int
}

// SampleSoak takes one sample of the stack's processes and database.
func (s *Stack) SampleSoak(ctx context.Context, procs []*Proc) (SoakSample, error) {
	out := SoakSample{At: time.Now().UTC(), RSSMB: map[string]float64{}, Goroutines: map[string]float64{},
		HeapMB: map[string]float64{}, PGConns: map[string]int{}}
	for _, p := range procs {
		out.RSSMB[p.Name] = float64(p.RSS()) / (1 << 20)
		if g, ok := p.Metric("go_goroutines"); ok {
			out.Goroutines[p.Name] = g
		}
		if h, ok := p.Metric("go_memstats_heap_inuse_bytes"); ok {
			out.HeapMB[p.Name] = h / (1 << 20)
		}
	}
	conns, err := store.New(s.DB, 10*time.Second, nil).DBConnections(ctx)
	if err != nil {
		return out, err
	}
	for _, c := range conns {
		out.PGConns[c.App] = c.Total
		out.PGIdleInTx += c.IdleInTransaction
	}
	err = s.DB.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM ping_results GROUP BY slot_at HAVING count(*) >= $1) c`,
		s.O.Devices).Scan(&out.CompleteCycles)
	if err != nil {
		return out, fmt.Errorf("count complete cycles: %w", err)
	}
	return out, nil
}

// WriteSoakCSV writes the samples as CSV: minute, then per process rss/goroutines/heap, then
// the connection counts of the given applications and idle-in-transaction.
func WriteSoakCSV(w io.Writer, samples []SoakSample, procs, apps []string) error {
	cw := csv.NewWriter(w)
	head := []string{"minute", "complete_cycles"}
	for _, p := range procs {
		head = append(head, p+"_rss_mb", p+"_goroutines", p+"_heap_mb")
	}
	for _, a := range apps {
		head = append(head, "pg_conns_"+a)
	}
	head = append(head, "pg_idle_in_transaction")
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, s := range samples {
		row := []string{f1(s.At.Sub(samples[0].At).Minutes()), strconv.Itoa(s.CompleteCycles)}
		for _, p := range procs {
			row = append(row, f1(s.RSSMB[p]), f1(s.Goroutines[p]), f1(s.HeapMB[p]))
		}
		for _, a := range apps {
			row = append(row, strconv.Itoa(s.PGConns[a]))
		}
		row = append(row, strconv.Itoa(s.PGIdleInTx))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// Trend is the least-squares slope of ys over xs and its standard error (from the residuals;
// 0 when the points lie on the line or there are fewer than three).
func Trend(xs, ys []float64) (slope, se float64) {
	slope = Slope(xs, ys)
	n := len(xs)
	if n < 3 || len(ys) != n {
		return slope, 0
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/float64(n), my/float64(n)
	var sxx, rss float64
	for i := range xs {
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return slope, 0
	}
	for i := range xs {
		r := ys[i] - (my + slope*(xs[i]-mx))
		rss += r * r
	}
	return slope, math.Sqrt(rss / float64(n-2) / sxx)
}

// Rising says whether a fitted trend is an upward one worth failing a soak for: steeper than
// limit (per unit of x) and clearly so, more than two standard errors above zero, so that
// sampling noise alone (Go's RSS moves by several MB with each GC and scavenge) does not.
func Rising(slope, se, limit float64) bool { return slope > limit && slope > 2*se }

// Slope is the least-squares slope of ys over xs (units of y per unit of x); 0 for fewer than
// two points.
func Slope(xs, ys []float64) float64 {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
