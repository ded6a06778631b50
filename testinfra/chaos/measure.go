package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/tsdb"
)

// Result is what one fault cost, measured over a window of slots around it.
type Result struct {
	Fault   string `json:"fault"`
	Command string `json:"command"`
	Devices int    `json:"devices"`
	// IntervalS is the ping cycle; OutageS how long the fault lasted (a service down, a
	// process gone) and OutageSlots how many slots started meanwhile.
	IntervalS   float64 `json:"interval_s"`
	OutageS     float64 `json:"outage_s"`
	OutageSlots int     `json:"outage_slots"`
	// Slots in the measured window; CyclesLost have no row at all; PartialCycles some but not
	// every device; RowsMissing counts the (device, slot) rows absent.
	Slots         int `json:"slots"`
	CyclesLost    int `json:"cycles_lost"`
	PartialCycles int `json:"partial_cycles"`
	RowsMissing   int `json:"rows_missing"`
	// DuplicateRows are (device, slot) pairs stored twice in ping_results; DuplicateEvents
	// identical status events.
	DuplicateRows   int `json:"duplicate_rows"`
	DuplicateEvents int `json:"duplicate_events"`
	// SamplesLost are stored ping results without their loss sample in VictoriaMetrics (after
	// the spool drained); VMDuplicates samples stored twice at one timestamp.
	SamplesLost  int `json:"samples_lost"`
	VMDuplicates int `json:"vm_duplicates"`
	// RecoverS is the time from the end of the fault to the first complete cycle (for
	// VictoriaMetrics: to the spool drained).
	RecoverS float64 `json:"recover_s"`
	Notes    string  `json:"notes,omitempty"`
}

// Window is the span measured: slots starting in [From, To).
type Window struct{ From, To time.Time }

// Measure counts cycles lost, duplicates and samples lost in the window. It first waits for the
// VictoriaMetrics spool to drain (up to drainLimit).
func (s *Stack) Measure(ctx context.Context, w Window, drainLimit time.Duration) (Result, error) {
	r := Result{Devices: s.O.Devices, IntervalS: s.O.Interval.Seconds()}
	if err := s.slotCounts(ctx, w, &r); err != nil {
		return r, err
	}
	err := s.DB.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM ping_results WHERE slot_at >= $1 AND slot_at < $2
		GROUP BY device_id, slot_at HAVING count(*) > 1) d`, w.From, w.To).Scan(&r.DuplicateRows)
	if err != nil {
		return r, fmt.Errorf("count duplicate rows: %w", err)
	}
	err = s.DB.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM device_events WHERE at >= $1 AND at < $2
		GROUP BY device_id, at, kind, to_status HAVING count(*) > 1) d`, w.From, w.To.Add(s.O.Interval)).Scan(&r.DuplicateEvents)
	if err != nil {
		return r, fmt.Errorf("count duplicate events: %w", err)
	}
	if _, err := s.WaitSpoolEmpty(ctx, drainLimit); err != nil {
		return r, err
	}
	s.VM.Flush()
	return r, s.samples(ctx, w, &r)
}

func (s *Stack) slotCounts(ctx context.Context, w Window, r *Result) error {
	rows, err := s.DB.Query(ctx, `SELECT slot_at, count(*) FROM ping_results WHERE slot_at >= $1 AND slot_at < $2 GROUP BY 1`, w.From, w.To)
	if err != nil {
		return fmt.Errorf("count rows per slot: %w", err)
	}
	per := map[int64]int{}
	for rows.Next() {
		var at time.Time
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			return err
		}
		per[at.UnixNano()] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for slot := schedule.SlotStart(w.From.Add(s.O.Interval-1), s.O.Interval, 0); slot.Before(w.To); slot = slot.Add(s.O.Interval) {
		r.Slots++
		n := per[slot.UnixNano()]
		switch {
		case n == 0:
			r.CyclesLost++
		case n < s.O.Devices:
			r.PartialCycles++
		}
		r.RowsMissing += max(0, s.O.Devices-n)
	}
	return nil
}

// WaitSpoolEmpty waits until the VictoriaMetrics spool holds no sample and returns how long.
func (s *Stack) WaitSpoolEmpty(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		var n int64
		err := s.DB.QueryRow(ctx, `SELECT samples FROM tsdb_spool_state WHERE id = 1`).Scan(&n)
		if err == nil && n == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return time.Since(start), fmt.Errorf("spool still holds %d samples after %s (err %v)", n, limit, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// samples compares the stored ping results of the window with the loss samples in
// VictoriaMetrics: each result with echoes sent has exactly one, at its slot's start.
func (s *Stack) samples(ctx context.Context, w Window, r *Result) error {
	got, err := s.exportLoss(ctx, w)
	if err != nil {
		return err
	}
	rows, err := s.DB.Query(ctx, `SELECT device_id, slot_at FROM ping_results WHERE slot_at >= $1 AND slot_at < $2 AND sent > 0`, w.From, w.To)
	if err != nil {
		return fmt.Errorf("read stored results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		if got[sampleKey{id, at.UnixMilli()}] == 0 {
			r.SamplesLost++
		}
	}
	for _, n := range got {
		r.VMDuplicates += max(0, n-1)
	}
	return rows.Err()
}

type sampleKey struct {
	device int64
	ms     int64
}

// exportLoss reads every raw loss sample of the window through /api/v1/export.
func (s *Stack) exportLoss(ctx context.Context, w Window) (map[sampleKey]int, error) {
	q := url.Values{"match[]": {tsdb.MetricPingLoss}, "start": {strconv.FormatInt(w.From.Unix(), 10)},
		"end": {strconv.FormatInt(w.To.Unix(), 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.VM.URL()+"/api/v1/export?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("export samples: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("export samples: %s", resp.Status)
	}
	out := map[sampleKey]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("decode export line: %w", err)
		}
		id, _ := strconv.ParseInt(line.Metric[tsdb.LabelDeviceID], 10, 64)
		for _, ts := range line.Timestamps {
			if ts >= w.From.UnixMilli() && ts < w.To.UnixMilli() {
				out[sampleKey{id, ts}]++
			}
		}
	}
	return out, sc.Err()
}

// SlotsIn counts the slot starts of interval in [from, to].
func SlotsIn(from, to time.Time, interval time.Duration) int {
	n := 0
	for slot := schedule.SlotStart(from.Add(interval-1), interval, 0); !slot.After(to); slot = slot.Add(interval) {
		n++
	}
	return n
}
