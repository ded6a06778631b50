package tsdb

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/jackc/pgx/v5/pgxpool"
)

// fastParams are sink settings that keep integration tests short.
func fastParams(vmURL string, spool *Spool, set *metrics.Set) SinkParams {
	return SinkParams{
		URL: vmURL, Spool: spool, Metrics: set,
		RequestTimeout: 2 * time.Second, MaxAttempts: 2,
		BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		ProbeInterval: 200 * time.Millisecond, DrainInterval: 50 * time.Millisecond,
	}
}

func mustSink(t testing.TB, p SinkParams) *Sink {
	t.Helper()
	s, err := NewSink(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stored is one raw sample as VictoriaMetrics exports it.
type stored struct {
	T int64
	V float64
}

// exportSeries returns every raw sample of the series matching match, by series key
// (name{labels sorted}).
func exportSeries(t testing.TB, vmURL, match string) map[string][]stored {
	t.Helper()
	resp, err := http.PostForm(vmURL+"/api/v1/export", url.Values{"match[]": {match}})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: status %d", resp.StatusCode)
	}
	out := map[string][]stored{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Values     []float64         `json:"values"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("export line: %v", err)
		}
		key := seriesKey(line.Metric)
		for i, ts := range line.Timestamps {
			out[key] = append(out[key], stored{ts, line.Values[i]})
		}
		sort.Slice(out[key], func(i, j int) bool { return out[key][i].T < out[key][j].T })
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("export: %v", err)
	}
	return out
}

func seriesKey(m map[string]string) string {
	var parts []string
	for k, v := range m {
		if k != "__name__" {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return m["__name__"] + "{" + strings.Join(parts, ",") + "}"
}

// expectSeries is what samples should produce in an export.
func expectSeries(samples []Sample) map[string][]stored {
	out := map[string][]stored{}
	for _, s := range samples {
		m := map[string]string{"__name__": s.Metric}
		for _, l := range s.Labels {
			if l.Value != "" {
				m[l.Name] = l.Value
			}
		}
		k := seriesKey(m)
		out[k] = append(out[k], stored{s.At.UnixMilli(), s.Value})
	}
	for k := range out {
		sort.Slice(out[k], func(i, j int) bool { return out[k][i].T < out[k][j].T })
	}
	return out
}

func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func spoolSamples(t testing.TB, pool *pgxpool.Pool) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(t.Context(), `SELECT coalesce(sum(samples),0) FROM tsdb_spool`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
