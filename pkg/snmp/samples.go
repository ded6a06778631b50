package snmp

import (
	"context"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tsdb"
)

// SampleWriter receives the time series of each batch (the VictoriaMetrics writer of
// pkg/tsdb implements it; it is expected to retry on its own).
type SampleWriter interface {
	Write(ctx context.Context, samples []tsdb.Sample) error
}

// Series written per poll. Interface series carry the device labels plus ifName.
const (
	MetricIfInBps        = "wardops_if_in_bits_per_second"
	MetricIfOutBps       = "wardops_if_out_bits_per_second"
	MetricIfInErrorsPS   = "wardops_if_in_errors_per_second"
	MetricIfOutErrorsPS  = "wardops_if_out_errors_per_second"
	MetricIfInDiscardsPS = "wardops_if_in_discards_per_second"
	MetricIfOutDiscardPS = "wardops_if_out_discards_per_second"
	// MetricIfOperStatus is 1 when ifOperStatus is up, 0 otherwise.
	MetricIfOperStatus = "wardops_if_oper_status"
	MetricCPUPercent   = "wardops_cpu_percent"
	MetricMemPercent   = "wardops_memory_percent"
	MetricUptime       = "wardops_uptime_seconds"
	// MetricSNMPUp is 1 when the device answered the poll, 0 when it failed.
	MetricSNMPUp = "wardops_snmp_up"
	// MetricExtra carries the profile's gauge OIDs, labelled name=<extra OID name>.
	MetricExtra = "wardops_snmp_extra_value"
)

// deviceLabels are the labels every series of a device carries.
func deviceLabels(d store.Device) []tsdb.Label {
	return []tsdb.Label{
		{Name: "device", Value: d.Name},
		{Name: "device_id", Value: strconv.FormatInt(d.ID, 10)},
		{Name: "branch", Value: d.Branch},
		{Name: "region", Value: d.Region},
		{Name: "type", Value: d.Type},
	}
}

func withLabel(base []tsdb.Label, name, value string) []tsdb.Label {
	out := make([]tsdb.Label, len(base), len(base)+1)
	copy(out, base)
	return append(out, tsdb.Label{Name: name, Value: value})
}

// pollSamples are the series of a successful poll.
func pollSamples(d store.Device, r *Reading, o Outcome) []tsdb.Sample {
	base := deviceLabels(d)
	out := make([]tsdb.Sample, 0, 4+len(r.Extra)+7*len(o.Interfaces))
	add := func(metric string, labels []tsdb.Label, v *float64) {
		if v != nil {
			out = append(out, tsdb.Sample{Metric: metric, Labels: labels, Value: *v, At: r.At})
		}
	}
	ticks, _ := r.Uptime()
	add(MetricSNMPUp, base, ptr(1.0))
	add(MetricUptime, base, ptr(float64(ticks)/ticksPerSecond))
	add(MetricCPUPercent, base, r.CPUPercent)
	add(MetricMemPercent, base, r.MemoryPercent)
	for _, e := range r.Extra {
		if e.OK && e.Role == RoleGauge {
			add(MetricExtra, withLabel(base, "name", e.Name), ptr(e.Value))
		}
	}
	for _, i := range o.Interfaces {
		l := withLabel(base, "ifName", i.Label())
		up := 0.0
		if i.OperStatus == IfUp {
			up = 1
		}
		add(MetricIfOperStatus, l, &up)
		add(MetricIfInBps, l, i.InBps)
		add(MetricIfOutBps, l, i.OutBps)
		add(MetricIfInErrorsPS, l, i.InErrorsPS)
		add(MetricIfOutErrorsPS, l, i.OutErrorsPS)
		add(MetricIfInDiscardsPS, l, i.InDiscardsPS)
		add(MetricIfOutDiscardPS, l, i.OutDiscardsPS)
	}
	return out
}

// failureSamples is the series of a failed poll: wardops_snmp_up 0.
func failureSamples(d store.Device, at time.Time) []tsdb.Sample {
	return []tsdb.Sample{{Metric: MetricSNMPUp, Labels: deviceLabels(d), Value: 0, At: at}}
}
