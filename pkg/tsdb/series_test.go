package tsdb

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStepFor(t *testing.T) {
	tests := []struct {
		rng  string
		want time.Duration
	}{
		{"1h", 12 * time.Second},
		{"6h", 72 * time.Second},
		{"24h", 288 * time.Second},
		{"7d", 2016 * time.Second},
		{"30d", 8640 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.rng, func(t *testing.T) {
			rng := seriesRanges[tc.rng]
			got := StepFor(rng)
			if got != tc.want {
				t.Errorf("StepFor(%s) = %s, want %s", rng, got, tc.want)
			}
			if n := int(rng / got); n != TargetPoints {
				t.Errorf("%d points, want %d", n, TargetPoints)
			}
		})
	}
	for _, rng := range []time.Duration{0, time.Second, 7 * time.Minute} {
		if got := StepFor(rng); got < time.Second || got%time.Second != 0 {
			t.Errorf("StepFor(%s) = %s, want whole seconds >= 1s", rng, got)
		}
	}
}

func TestWindowAlignsToStep(t *testing.T) {
	end := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	start, endA := window(end, time.Hour, 12*time.Second)
	wantEnd := time.Date(2026, 3, 1, 12, 0, 12, 0, time.UTC)
	if !endA.Equal(wantEnd) || !start.Equal(wantEnd.Add(-time.Hour+12*time.Second)) {
		t.Errorf("window = %v..%v, want %v..%v", start, endA, wantEnd.Add(-time.Hour+12*time.Second), wantEnd)
	}
}

func TestSeriesQueryValidate(t *testing.T) {
	ok := SeriesQuery{DeviceID: 1, Metric: "rtt", Range: "1h"}
	tests := []struct {
		name      string
		mutate    func(*SeriesQuery)
		wantField string
	}{
		{"valid", func(*SeriesQuery) {}, ""},
		{"valid interface metric with interface", func(q *SeriesQuery) { q.Metric, q.Interface = "in_bps", "Gi0/1" }, ""},
		{"zero id", func(q *SeriesQuery) { q.DeviceID = 0 }, "id"},
		{"negative id", func(q *SeriesQuery) { q.DeviceID = -3 }, "id"},
		{"unknown metric", func(q *SeriesQuery) { q.Metric = "temperature" }, "metric"},
		{"empty metric", func(q *SeriesQuery) { q.Metric = "" }, "metric"},
		{"unknown range", func(q *SeriesQuery) { q.Range = "2h" }, "range"},
		{"interface on device metric", func(q *SeriesQuery) { q.Interface = "eth0" }, "interface"},
		{"invalid utf-8 interface", func(q *SeriesQuery) { q.Metric, q.Interface = "out_bps", "\xff" }, "interface"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := ok
			tc.mutate(&q)
			err := q.Validate()
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("Validate() = %v, want a *ValidationError wrapping ErrInvalidQuery", err)
			}
			if ve.Field != tc.wantField {
				t.Errorf("field = %q, want %q", ve.Field, tc.wantField)
			}
			if errors.Is(err, ErrUpstream) {
				t.Errorf("validation error must not be ErrUpstream")
			}
		})
	}
}

func TestSeriesExpr(t *testing.T) {
	tests := []struct {
		name string
		q    SeriesQuery
		want string
	}{
		{"rtt in ms", SeriesQuery{DeviceID: 5, Metric: "rtt"}, `avg(avg_over_time(wardops_ping_rtt_seconds{device_id="5",stat="avg"}[12s])) * 1000`},
		{"loss in percent", SeriesQuery{DeviceID: 5, Metric: "loss"}, `avg(avg_over_time(wardops_ping_loss_ratio{device_id="5"}[12s])) * 100`},
		{"cpu as is", SeriesQuery{DeviceID: 5, Metric: "cpu"}, `avg(avg_over_time(wardops_cpu_percent{device_id="5"}[12s]))`},
		{"in_bps per interface", SeriesQuery{DeviceID: 5, Metric: "in_bps"}, `avg by (ifName) (avg_over_time(wardops_if_in_bits_per_second{device_id="5"}[12s]))`},
		{"interface quoted", SeriesQuery{DeviceID: 5, Metric: "out_bps", Interface: `a"b\c`},
			`avg by (ifName) (avg_over_time(wardops_if_out_bits_per_second{device_id="5",ifName="a\"b\\c"}[12s]))`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.q.Expr(12*time.Second)); diff != "" {
				t.Errorf("expr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeriesResultJSON(t *testing.T) {
	tests := []struct {
		name string
		in   SeriesResult
		want string
	}{
		{"device metric, empty points stay", SeriesResult{Metric: "rtt", Unit: "ms", StepMS: 12000, Points: []Point{}},
			`{"metric":"rtt","unit":"ms","step_ms":12000,"points":[]}`},
		{"points as pairs, NaN as null", SeriesResult{Metric: "loss", Unit: "percent", Points: []Point{{1000, 2.5}, {2000, math.NaN()}}},
			`{"metric":"loss","unit":"percent","points":[[1000,2.5],[2000,null]]}`},
		{"interfaces", SeriesResult{Metric: "in_bps", Unit: "bps", Interfaces: []SeriesResult{{Metric: "in_bps", Unit: "bps", Interface: "eth0", Points: []Point{{1000, 8e9}}}}},
			`{"metric":"in_bps","unit":"bps","interfaces":[{"metric":"in_bps","unit":"bps","interface":"eth0","points":[[1000,8000000000]]}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("json (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRangeErrorsAreUpstream(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"vm error envelope", 422, `{"status":"error","errorType":"422","error":"cannot parse query"}`, "victoriametrics: status 422: cannot parse query"},
		{"not json", 502, `bad gateway`, "victoriametrics: status 502: bad gateway"},
		{"200 but garbage", 200, `{`, "victoriametrics: status 200: unparsable answer: unexpected end of JSON input"},
		{"bad value", 200, `{"status":"success","data":{"result":[{"metric":{},"values":[[1,"x"]]}]}}`, `victoriametrics: status 200: bad value "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRange(tc.status, []byte(tc.body))
			var ue *UpstreamError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUpstream) {
				t.Fatalf("err = %v, want *UpstreamError", err)
			}
			if diff := cmp.Diff(tc.want, ue.Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	body := `{"status":"success","data":{"resultType":"matrix","result":[
		{"metric":{"ifName":"eth1"},"values":[[1700000000,"1"]]},
		{"metric":{"ifName":"eth0"},"values":[[1700000000.5,"2.5"],[1700000012,"NaN"]]}]}}`
	got, err := parseRange(http.StatusOK, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []RangeSeries{
		{Labels: map[string]string{"ifName": "eth0"}, Points: []Point{{1700000000500, 2.5}, {1700000012000, math.NaN()}}},
		{Labels: map[string]string{"ifName": "eth1"}, Points: []Point{{1700000000000, 1}}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) })); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name string
		st   SpoolStatus
		ping error
		want string
	}{
		{"healthy", SpoolStatus{MaxSamples: 10}, nil, "healthy: reachable"},
		{"draining", SpoolStatus{Samples: 5, MaxSamples: 10, OldestAge: 90 * time.Second, Draining: true}, nil, "degraded: draining spool, 5 samples left, oldest 1m30s"},
		{"down, spooling", SpoolStatus{Samples: 5, MaxSamples: 10, OldestAge: time.Minute}, errors.New("refused"), "degraded: unreachable (refused), 5 samples spooled, oldest 1m0s"},
		{"down, empty", SpoolStatus{MaxSamples: 10}, errors.New("refused"), "degraded: unreachable (refused), writes will be spooled"},
		{"bound", SpoolStatus{Samples: 10, MaxSamples: 10, Dropped: 3, BoundReached: true, OldestAge: time.Hour}, errors.New("refused"), "critical: spool full (10 of 10 samples), oldest 1h0m0s, 3 dropped"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Health(tc.st, tc.ping)); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
		})
	}
}
