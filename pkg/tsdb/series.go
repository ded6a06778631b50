package tsdb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TargetPoints is about how many points Series returns per series.
const TargetPoints = 300

// ErrInvalidQuery is wrapped by every *ValidationError: the API answers those with 400.
var ErrInvalidQuery = errors.New("invalid series query")

// ValidationError names the query parameter that is wrong. errors.Is(err, ErrInvalidQuery) holds.
type ValidationError struct {
	// Field is the query parameter: id, metric, range or interface.
	Field string
	// Message says what is accepted.
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalidQuery) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidQuery }

// SeriesQuery asks for one metric of one device over a range, as the dashboard graphs do.
type SeriesQuery struct {
	// DeviceID is the device (> 0).
	DeviceID int64
	// Metric is one of rtt, loss, jitter, in_bps, out_bps, cpu, mem.
	Metric string
	// Range is one of 1h, 6h, 24h, 7d, 30d.
	Range string
	// Interface restricts in_bps/out_bps to one ifName (optional; not allowed for other metrics).
	Interface string
	// End is the end of the range (zero: now).
	End time.Time
}

// SeriesResult is the answer for a SeriesQuery, in the API's JSON shape:
// {"metric","unit","step_ms","points":[[unix_ms,value],…]} for device metrics and for an
// interface metric asked for one interface; {"metric","unit","step_ms","interfaces":[{"metric",
// "unit","interface","points"},…]} for an interface metric over all interfaces.
type SeriesResult struct {
	Metric    string `json:"metric"`
	Unit      string `json:"unit"`
	Interface string `json:"interface,omitempty"`
	// StepMS is the distance between points in milliseconds.
	StepMS int64 `json:"step_ms,omitempty"`
	// Points are one value per step, oldest first; steps without samples are absent.
	Points []Point `json:"points,omitzero"`
	// Interfaces holds one result per interface (interface metrics without Interface).
	Interfaces []SeriesResult `json:"interfaces,omitzero"`
}

// seriesDef is how one dashboard metric is read.
type seriesDef struct {
	metric       string
	matcher      string // extra label matcher, e.g. stat="avg"
	unit         string
	scale        float64 // stored unit → dashboard unit
	perInterface bool
}

var seriesDefs = map[string]seriesDef{
	"rtt":     {metric: MetricPingRTT, matcher: LabelStat + `="` + StatAvg + `"`, unit: "ms", scale: 1000},
	"jitter":  {metric: MetricPingJitter, unit: "ms", scale: 1000},
	"loss":    {metric: MetricPingLoss, unit: "percent", scale: 100},
	"in_bps":  {metric: MetricIfInBits, unit: "bps", scale: 1, perInterface: true},
	"out_bps": {metric: MetricIfOutBits, unit: "bps", scale: 1, perInterface: true},
	"cpu":     {metric: MetricCPU, unit: "percent", scale: 1},
	"mem":     {metric: MetricMemory, unit: "percent", scale: 1},
}

var seriesRanges = map[string]time.Duration{
	"1h": time.Hour, "6h": 6 * time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour,
}

// Validate checks the query and returns a *ValidationError naming the bad field.
func (q SeriesQuery) Validate() error {
	if q.DeviceID <= 0 {
		return &ValidationError{Field: "id", Message: "must be a positive device id"}
	}
	def, ok := seriesDefs[q.Metric]
	if !ok {
		return &ValidationError{Field: "metric", Message: "must be one of rtt, loss, jitter, in_bps, out_bps, cpu, mem"}
	}
	if _, ok := seriesRanges[q.Range]; !ok {
		return &ValidationError{Field: "range", Message: "must be one of 1h, 6h, 24h, 7d, 30d"}
	}
	if q.Interface != "" {
		if !def.perInterface {
			return &ValidationError{Field: "interface", Message: "only allowed with in_bps and out_bps"}
		}
		if len(q.Interface) > 255 || !utf8.ValidString(q.Interface) {
			return &ValidationError{Field: "interface", Message: "must be valid UTF-8 of at most 255 bytes"}
		}
	}
	return nil
}

// StepFor returns the step giving about TargetPoints points over rng, in whole seconds
// (at least one second).
func StepFor(rng time.Duration) time.Duration {
	step := (rng + TargetPoints - 1) / TargetPoints
	step = (step + time.Second - 1).Truncate(time.Second)
	return max(step, time.Second)
}

// window aligns the range to the step so that repeated queries return the same points:
// end rounds up to a multiple of the step and the range holds TargetPoints-ish steps.
func window(end time.Time, rng, step time.Duration) (time.Time, time.Time) {
	s := int64(step / time.Second)
	e := (end.Unix() + s - 1) / s * s
	endA := time.Unix(e, 0).UTC()
	return endA.Add(-rng + step), endA
}

// appendLatest adds each instant series' point to the range series with the same labels (the
// interface, for per-interface metrics) when it is newer than that series' last point; an
// instant series with no range series becomes one.
func appendLatest(got, latest []RangeSeries, perInterface bool) []RangeSeries {
	key := func(s RangeSeries) string {
		if perInterface {
			return s.Labels[LabelIfName]
		}
		return ""
	}
	idx := make(map[string]int, len(got))
	for i, g := range got {
		idx[key(g)] = i
	}
	for _, l := range latest {
		if len(l.Points) != 1 {
			continue
		}
		i, ok := idx[key(l)]
		if !ok {
			got = append(got, l)
			continue
		}
		if pts := got[i].Points; len(pts) == 0 || pts[len(pts)-1].T < l.Points[0].T {
			got[i].Points = append(pts, l.Points[0])
		}
	}
	if perInterface {
		sort.Slice(got, func(i, j int) bool { return got[i].Labels[LabelIfName] < got[j].Labels[LabelIfName] })
	}
	return got
}

// Expr returns the MetricsQL expression of the query: the average of the samples inside each
// step (every sample counts in exactly one point; steps shorter than the sampling interval
// leave gaps rather than repeated values), scaled to the dashboard unit.
func (q SeriesQuery) Expr(step time.Duration) string {
	def := seriesDefs[q.Metric]
	sel := []string{LabelDeviceID + `="` + strconv.FormatInt(q.DeviceID, 10) + `"`}
	if def.matcher != "" {
		sel = append(sel, def.matcher)
	}
	if q.Interface != "" {
		sel = append(sel, LabelIfName+"="+strconv.Quote(q.Interface))
	}
	e := fmt.Sprintf("avg_over_time(%s{%s}[%ds])", def.metric, strings.Join(sel, ","), int64(step/time.Second))
	// A renamed device leaves two series with one device_id: merge them.
	if def.perInterface {
		e = "avg by (" + LabelIfName + ") (" + e + ")"
	} else {
		e = "avg(" + e + ")"
	}
	if def.scale != 1 {
		e += " * " + strconv.FormatFloat(def.scale, 'g', -1, 64)
	}
	return e
}

// Series answers a dashboard graph request. Invalid queries return a *ValidationError
// (ErrInvalidQuery), VictoriaMetrics failures an *UpstreamError (ErrUpstream).
func (q *Querier) Series(ctx context.Context, sq SeriesQuery) (SeriesResult, error) {
	if err := sq.Validate(); err != nil {
		return SeriesResult{}, err
	}
	def := seriesDefs[sq.Metric]
	rng := seriesRanges[sq.Range]
	step := StepFor(rng)
	end, live := sq.End, sq.End.IsZero()
	if live {
		end = time.Now()
	}
	start, endA := window(end, rng, step)
	got, err := q.QueryRange(ctx, sq.Expr(step), start, endA, step)
	if err != nil {
		return SeriesResult{}, fmt.Errorf("series %s of device %d: %w", sq.Metric, sq.DeviceID, err)
	}
	if live {
		// The range's points sit on whole steps and VictoriaMetrics answers only steps that have
		// ended, so the newest samples (up to one step: 12 s over 1h, 2.4 h over 30d) would not
		// be drawn yet. A last point at now, the mean of the step up to now, shows them. Without
		// it the chart is only less fresh, so its failure is not the request's.
		if latest, err := q.QueryInstant(ctx, sq.Expr(step), end); err == nil {
			got = appendLatest(got, latest, def.perInterface)
		}
	}
	res := SeriesResult{Metric: sq.Metric, Unit: def.unit, Interface: sq.Interface, StepMS: step.Milliseconds()}
	if !def.perInterface || sq.Interface != "" {
		res.Points = []Point{}
		if len(got) > 0 {
			res.Points = got[0].Points
		}
		return res, nil
	}
	res.Interfaces = make([]SeriesResult, 0, len(got))
	for _, g := range got {
		res.Interfaces = append(res.Interfaces, SeriesResult{
			Metric: sq.Metric, Unit: def.unit, Interface: g.Labels[LabelIfName], Points: g.Points,
		})
	}
	return res, nil
}
