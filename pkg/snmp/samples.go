package snmp

import (
	"context"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tsdb"
)

// SampleWriter receives the time series of each batch (the VictoriaMetrics writer of
// pkg/tsdb implements it; it is expected to retry on its own). The series are the SNMP ones
// of pkg/tsdb (tsdb.MetricIfInBits ... tsdb.MetricSNMPExtra, see docs/METRICS.md), stamped
// with the time the device's counters were read.
type SampleWriter interface {
	Write(ctx context.Context, samples []tsdb.Sample) error
}

func deviceLabels(d store.Device) tsdb.DeviceLabels {
	return tsdb.DeviceLabels{ID: d.ID, Name: d.Name, Branch: d.Branch, Region: d.Region, Type: d.Type}
}

// pollSamples are the series of a successful poll.
func pollSamples(d store.Device, r *Reading, o Outcome) []tsdb.Sample {
	dl := deviceLabels(d)
	base := dl.Labels()
	out := make([]tsdb.Sample, 0, 4+len(r.Extra)+7*len(o.Interfaces))
	add := func(metric string, labels []tsdb.Label, v *float64) {
		if v != nil {
			out = append(out, tsdb.Sample{Metric: metric, Labels: labels, Value: *v, At: r.At})
		}
	}
	ticks, _ := r.Uptime()
	add(tsdb.MetricSNMPUp, base, ptr(1.0))
	add(tsdb.MetricUptime, base, ptr(float64(ticks)/ticksPerSecond))
	add(tsdb.MetricCPU, base, r.CPUPercent)
	add(tsdb.MetricMemory, base, r.MemoryPercent)
	for _, e := range r.Extra {
		if e.OK && e.Role == RoleGauge {
			add(tsdb.MetricSNMPExtra, dl.Labels(tsdb.Label{Name: "name", Value: e.Name}), ptr(e.Value))
		}
	}
	for _, i := range o.Interfaces {
		l := dl.Labels(tsdb.Label{Name: tsdb.LabelIfName, Value: i.Label()})
		up := 0.0
		if i.OperStatus == IfUp {
			up = 1
		}
		add(tsdb.MetricIfOperStatus, l, &up)
		add(tsdb.MetricIfInBits, l, i.InBps)
		add(tsdb.MetricIfOutBits, l, i.OutBps)
		add(tsdb.MetricIfInErrors, l, i.InErrorsPS)
		add(tsdb.MetricIfOutErrors, l, i.OutErrorsPS)
		add(tsdb.MetricIfInDiscards, l, i.InDiscardsPS)
		add(tsdb.MetricIfOutDiscards, l, i.OutDiscardsPS)
	}
	return out
}

// failureSamples is the series of a failed poll: wardops_snmp_up 0.
func failureSamples(d store.Device, at time.Time) []tsdb.Sample {
	return []tsdb.Sample{deviceLabels(d).Sample(tsdb.MetricSNMPUp, at, 0)}
}
