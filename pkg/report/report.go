package report

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// Source reads what a report needs, limited to the devices of a scope (the zero scope: all).
type Source interface {
	Availability(ctx context.Context, from, to time.Time, sc store.DeviceScope) ([]store.AvailabilityRow, error)
	Outages(ctx context.Context, from, to time.Time, limit int, sc store.DeviceScope) ([]store.Outage, bool, error)
}

var _ Source = (*store.Store)(nil)

// Ranges are the report windows, ending now.
var Ranges = map[string]time.Duration{"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

// MaxOutages bounds the outage list of one report (the newest are kept).
const MaxOutages = 10000

// ErrRange is returned for a range other than 1d, 7d or 30d.
var ErrRange = errors.New("range must be 1d, 7d or 30d")

// Report is the availability report of one window.
type Report struct {
	Range    string    `json:"range"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Summary  Summary   `json:"summary"`
	Branches []Branch  `json:"branches"`
	Devices  []Device  `json:"devices"`
	Outages  []Outage  `json:"outages"`
	// OutagesTruncated is true when more than MaxOutages outages were left out.
	OutagesTruncated bool `json:"outages_truncated"`
}

// Summary is the whole fleet's figure.
type Summary struct {
	Devices   int      `json:"devices"`
	UptimePct *float64 `json:"uptime_pct"`
	DownS     float64  `json:"down_s"`
	Outages   int      `json:"outages"`
}

// Device is one device's availability; UptimePct is null when it had no measured time.
type Device struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	Branch        string   `json:"branch"`
	Region        string   `json:"region"`
	MonitoredS    float64  `json:"monitored_s"`
	DownS         float64  `json:"down_s"`
	MaintenanceS  float64  `json:"maintenance_s"`
	UnknownS      float64  `json:"unknown_s"`
	UptimePct     *float64 `json:"uptime_pct"`
	Outages       int      `json:"outages"`
	CurrentStatus string   `json:"status"`
}

// Branch sums its devices.
type Branch struct {
	Region    string   `json:"region"`
	Branch    string   `json:"branch"`
	Devices   int      `json:"devices"`
	DownS     float64  `json:"down_s"`
	UptimePct *float64 `json:"uptime_pct"`
	Outages   int      `json:"outages"`
	measured  float64
}

// Outage is one down period; End is null while the device is still down.
type Outage struct {
	DeviceID  int64      `json:"device_id"`
	Device    string     `json:"device"`
	Branch    string     `json:"branch"`
	Region    string     `json:"region"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end"`
	DurationS float64    `json:"duration_s"`
}

// Build computes the report of range rng ("1d", "7d", "30d") ending at now over the devices of
// scope sc: a scoped caller's report (summary, branches, devices, outages) holds only its own.
func Build(ctx context.Context, src Source, rng string, now time.Time, sc store.DeviceScope) (Report, error) {
	d, ok := Ranges[rng]
	if !ok {
		return Report{}, fmt.Errorf("availability report %q: %w", rng, ErrRange)
	}
	to := now.UTC()
	r := Report{Range: rng, From: to.Add(-d), To: to, Branches: []Branch{}, Devices: []Device{}, Outages: []Outage{}}
	rows, err := src.Availability(ctx, r.From, r.To, sc)
	if err != nil {
		return Report{}, fmt.Errorf("availability report: %w", err)
	}
	outs, more, err := src.Outages(ctx, r.From, r.To, MaxOutages, sc)
	if err != nil {
		return Report{}, fmt.Errorf("availability report: %w", err)
	}
	r.OutagesTruncated = more
	r.addDevices(rows)
	for _, o := range outs {
		end := r.To
		if o.End != nil {
			end = *o.End
		}
		r.Outages = append(r.Outages, Outage{DeviceID: o.DeviceID, Device: o.Name, Branch: o.Branch, Region: o.Region,
			Start: o.Start, End: o.End, DurationS: end.Sub(o.Start).Seconds()})
	}
	return r, nil
}

// addDevices fills Devices (least available first), Branches (likewise) and Summary.
func (r *Report) addDevices(rows []store.AvailabilityRow) {
	branches := map[[2]string]*Branch{}
	var measured, down float64
	for _, a := range rows {
		m := measuredS(a)
		r.Devices = append(r.Devices, Device{ID: a.DeviceID, Name: a.Name, Branch: a.Branch, Region: a.Region, MonitoredS: a.MonitoredS,
			DownS: a.DownS, MaintenanceS: a.MaintenanceS, UnknownS: a.UnknownS, UptimePct: pct(m, a.DownS), Outages: a.Outages,
			CurrentStatus: a.CurrentStatus})
		k := [2]string{a.Region, a.Branch}
		b := branches[k]
		if b == nil {
			b = &Branch{Region: a.Region, Branch: a.Branch}
			branches[k] = b
		}
		b.Devices++
		b.DownS += a.DownS
		b.Outages += a.Outages
		b.measured += m
		measured += m
		down += a.DownS
		r.Summary.Outages += a.Outages
	}
	r.Summary.Devices, r.Summary.DownS, r.Summary.UptimePct = len(rows), down, pct(measured, down)
	for _, b := range branches {
		b.UptimePct = pct(b.measured, b.DownS)
		r.Branches = append(r.Branches, *b)
	}
	sort.SliceStable(r.Devices, func(i, j int) bool {
		return less(r.Devices[i].UptimePct, r.Devices[j].UptimePct, r.Devices[i].Name < r.Devices[j].Name)
	})
	sort.SliceStable(r.Branches, func(i, j int) bool {
		bi, bj := r.Branches[i], r.Branches[j]
		return less(bi.UptimePct, bj.UptimePct, bi.Region+"\x00"+bi.Branch < bj.Region+"\x00"+bj.Branch)
	})
}

// measuredS is the time a device's reachability was known and expected.
func measuredS(a store.AvailabilityRow) float64 {
	return max(0, a.MonitoredS-a.MaintenanceS-a.UnknownS)
}

func pct(measured, down float64) *float64 {
	if measured <= 0 {
		return nil
	}
	v := 100 * (measured - min(down, measured)) / measured
	return &v
}

// less orders by uptime ascending (no figure last), then by tie.
func less(a, b *float64, tie bool) bool {
	switch {
	case a == nil && b == nil:
		return tie
	case a == nil:
		return false
	case b == nil:
		return true
	case *a != *b:
		return *a < *b
	}
	return tie
}
