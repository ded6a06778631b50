package tsdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrUpstream is wrapped by every error that comes from VictoriaMetrics (unreachable, non-2xx,
// unparsable answer): the API answers those with 502.
var ErrUpstream = errors.New("victoriametrics error")

// UpstreamError describes a failed VictoriaMetrics query. errors.Is(err, ErrUpstream) holds.
type UpstreamError struct {
	// Status is the HTTP status VictoriaMetrics answered (0 when it was not reached).
	Status int
	// Message is VictoriaMetrics' error text or the transport error.
	Message string
}

func (e *UpstreamError) Error() string {
	if e.Status == 0 {
		return "victoriametrics: " + e.Message
	}
	return fmt.Sprintf("victoriametrics: status %d: %s", e.Status, e.Message)
}

// Is makes errors.Is(err, ErrUpstream) true.
func (e *UpstreamError) Is(target error) bool { return target == ErrUpstream }

// Point is one value of a series; it marshals to JSON as [unix_ms, value] (value null when NaN
// or infinite).
type Point struct {
	T int64 // unix milliseconds
	V float64
}

// MarshalJSON writes [unix_ms,value].
func (p Point) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32)
	b = append(b, '[')
	b = strconv.AppendInt(b, p.T, 10)
	b = append(b, ',')
	if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
		b = append(b, "null"...)
	} else {
		b = appendJSONFloat(b, p.V)
	}
	return append(b, ']'), nil
}

// appendJSONFloat formats like encoding/json: plain decimals unless very small or large.
func appendJSONFloat(b []byte, v float64) []byte {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, v, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// RangeSeries is one series of a range query answer.
type RangeSeries struct {
	Labels map[string]string
	Points []Point
}

// Querier reads from VictoriaMetrics' Prometheus query API. It is safe for concurrent use.
type Querier struct {
	base   string
	client *http.Client
}

// NewQuerier returns a querier on VictoriaMetrics at baseURL (e.g. http://127.0.0.1:8428);
// client nil means a client with DefaultRequestTimeout.
func NewQuerier(baseURL string, client *http.Client) (*Querier, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("new tsdb querier: URL %q must be http(s)://host:port", baseURL)
	}
	if client == nil {
		client = &http.Client{Timeout: DefaultRequestTimeout}
	}
	return &Querier{base: strings.TrimRight(baseURL, "/"), client: client}, nil
}

// Ping checks that VictoriaMetrics answers /health; for the health endpoint.
func (q *Querier) Ping(ctx context.Context) error {
	return getOK(ctx, q.client, q.base+"/health")
}

// QueryRange runs a range query over [start, end] with step and returns the series sorted by
// their labels. Errors from VictoriaMetrics are *UpstreamError.
func (q *Querier) QueryRange(ctx context.Context, promql string, start, end time.Time, step time.Duration) ([]RangeSeries, error) {
	status, body, err := q.post(ctx, "query_range", url.Values{
		"query": {promql},
		"start": {strconv.FormatInt(start.Unix(), 10)},
		"end":   {strconv.FormatInt(end.Unix(), 10)},
		"step":  {strconv.FormatInt(int64(step/time.Second), 10) + "s"},
	})
	if err != nil {
		return nil, err
	}
	return parseRange(status, body)
}

// QueryInstant evaluates promql at one time; each series of the answer holds one point.
// Errors from VictoriaMetrics are *UpstreamError.
func (q *Querier) QueryInstant(ctx context.Context, promql string, at time.Time) ([]RangeSeries, error) {
	status, body, err := q.post(ctx, "query", url.Values{
		"query": {promql},
		"time":  {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)},
	})
	if err != nil {
		return nil, err
	}
	return parseRange(status, body)
}

// post sends a form to /api/v1/<api> and returns the answer's status and body.
func (q *Querier) post(ctx context.Context, api string, form url.Values) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.base+"/api/v1/"+api, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, fmt.Errorf("build %s request: %w", api, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := q.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", api, &UpstreamError{Message: err.Error()})
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", api, &UpstreamError{Status: resp.StatusCode, Message: "read answer: " + err.Error()})
	}
	return resp.StatusCode, body, nil
}

// promAnswer is the Prometheus API envelope of a range query (values) or an instant one (value).
type promAnswer struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string    `json:"metric"`
			Values [][2]json.RawMessage `json:"values"`
			Value  *[2]json.RawMessage  `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func parseRange(status int, body []byte) ([]RangeSeries, error) {
	var a promAnswer
	jerr := json.Unmarshal(body, &a)
	if status/100 != 2 || jerr != nil || a.Status != "success" {
		msg := a.Error
		if msg == "" {
			msg = strings.TrimSpace(string(body[:min(len(body), 300)]))
		}
		if jerr != nil && status/100 == 2 {
			msg = "unparsable answer: " + jerr.Error()
		}
		return nil, fmt.Errorf("query_range: %w", &UpstreamError{Status: status, Message: msg})
	}
	out := make([]RangeSeries, 0, len(a.Data.Result))
	for _, r := range a.Data.Result {
		values := r.Values
		if r.Value != nil {
			values = append(values, *r.Value)
		}
		pts := make([]Point, 0, len(values))
		for _, v := range values {
			p, err := parsePoint(v)
			if err != nil {
				return nil, fmt.Errorf("query_range: %w", &UpstreamError{Status: status, Message: err.Error()})
			}
			pts = append(pts, p)
		}
		out = append(out, RangeSeries{Labels: r.Metric, Points: pts})
	}
	sort.Slice(out, func(i, j int) bool { return labelKey(out[i].Labels) < labelKey(out[j].Labels) })
	return out, nil
}

// parsePoint reads [1700000000.123, "1.5"].
func parsePoint(v [2]json.RawMessage) (Point, error) {
	ts, err := strconv.ParseFloat(string(v[0]), 64)
	if err != nil {
		return Point{}, fmt.Errorf("bad timestamp %s", v[0])
	}
	var s string
	if err := json.Unmarshal(v[1], &s); err != nil {
		return Point{}, fmt.Errorf("bad value %s", v[1])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Point{}, fmt.Errorf("bad value %q", s)
	}
	return Point{T: int64(math.Round(ts * 1000)), V: f}, nil
}

func labelKey(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "\x00" + m[k] + "\x00")
	}
	return b.String()
}
