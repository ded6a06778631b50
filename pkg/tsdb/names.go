package tsdb

import (
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/device"
)

// Metric names written by the ping and SNMP handlers. Units follow Prometheus conventions:
// seconds and ratios (0..1); the read path converts to ms and percent for the dashboard.
const (
	// MetricPingRTT is the round-trip time of one ping round, one series per stat label
	// (LabelStat = StatMin, StatAvg or StatMax). Not written when every echo was lost.
	MetricPingRTT = "wardops_ping_rtt_seconds"
	// MetricPingJitter is the mean absolute difference of consecutive RTTs of one round.
	// Not written when fewer than two replies came back.
	MetricPingJitter = "wardops_ping_jitter_seconds"
	// MetricPingLoss is the share of echo requests without a reply, 0..1.
	MetricPingLoss = "wardops_ping_loss_ratio"
	// MetricDeviceUp is the device status as a number: 1 up, 0.5 degraded, 0 down
	// (unknown and maintenance are not written).
	MetricDeviceUp = "wardops_device_up"

	// MetricIfInBits is the inbound rate of an interface in bits per second (LabelIfName).
	MetricIfInBits = "wardops_if_in_bits_per_second"
	// MetricIfOutBits is the outbound rate of an interface in bits per second (LabelIfName).
	MetricIfOutBits = "wardops_if_out_bits_per_second"
	// MetricIfInErrors is the inbound error rate of an interface per second (LabelIfName).
	MetricIfInErrors = "wardops_if_in_errors_per_second"
	// MetricIfOutErrors is the outbound error rate of an interface per second (LabelIfName).
	MetricIfOutErrors = "wardops_if_out_errors_per_second"
	// MetricIfInDiscards is the inbound discard rate of an interface per second (LabelIfName).
	MetricIfInDiscards = "wardops_if_in_discards_per_second"
	// MetricIfOutDiscards is the outbound discard rate of an interface per second (LabelIfName).
	MetricIfOutDiscards = "wardops_if_out_discards_per_second"
	// MetricIfOperStatus is 1 when ifOperStatus is up(1), 0 otherwise (LabelIfName).
	MetricIfOperStatus = "wardops_if_oper_status"
	// MetricCPU is the device CPU utilisation in percent (0..100).
	MetricCPU = "wardops_cpu_percent"
	// MetricMemory is the device memory utilisation in percent (0..100).
	MetricMemory = "wardops_memory_percent"
	// MetricUptime is the device uptime in seconds (sysUpTime / 100).
	MetricUptime = "wardops_uptime_seconds"
	// MetricSNMPUp is 1 when the device answered the SNMP poll, 0 when the poll failed.
	MetricSNMPUp = "wardops_snmp_up"
	// MetricSNMPExtra carries a monitoring profile's extra gauge OIDs, labelled name=<OID name>.
	MetricSNMPExtra = "wardops_snmp_extra_value"
)

// Label names carried by every device series, plus the interface and stat labels.
const (
	LabelDevice   = "device"
	LabelDeviceID = "device_id"
	LabelBranch   = "branch"
	LabelRegion   = "region"
	LabelType     = "type"
	// LabelIfName is the interface name (ifName, or ifDescr when ifName is empty).
	LabelIfName = "ifName"
	// LabelStat distinguishes the min, avg and max series of MetricPingRTT.
	LabelStat = "stat"
)

// Values of LabelStat.
const (
	StatMin = "min"
	StatAvg = "avg"
	StatMax = "max"
)

// DeviceLabels are the identifying labels of a device's series.
type DeviceLabels struct {
	ID     int64
	Name   string
	Branch string
	Region string
	Type   string
}

// Labels returns the device's labels in a fixed order, followed by extra.
func (d DeviceLabels) Labels(extra ...Label) []Label {
	ls := make([]Label, 0, 5+len(extra))
	ls = append(ls,
		Label{LabelDevice, d.Name},
		Label{LabelDeviceID, strconv.FormatInt(d.ID, 10)},
		Label{LabelBranch, d.Branch},
		Label{LabelRegion, d.Region},
		Label{LabelType, d.Type},
	)
	return append(ls, extra...)
}

// Sample returns one sample of metric for the device at at, with extra labels appended.
func (d DeviceLabels) Sample(metric string, at time.Time, value float64, extra ...Label) Sample {
	return Sample{Metric: metric, Labels: d.Labels(extra...), Value: value, At: at}
}

// StatusValue maps a device status to the value of MetricDeviceUp; ok is false for statuses
// that have no numeric value (unknown, maintenance).
func StatusValue(status device.Status) (v float64, ok bool) {
	switch status {
	case device.Up:
		return 1, true
	case device.Degraded:
		return 0.5, true
	case device.Down:
		return 0, true
	}
	return 0, false
}

// PingSamples returns the samples of one ping round of a device at at. Use the slot start (or
// another time fixed per slot) as at, so that a retried task writes the same timestamps and
// VictoriaMetrics' deduplication keeps one sample per slot.
//
// Loss is written whenever echoes were sent; each RTT statistic and jitter only when it was
// measured (non-nil), and jitter only from two replies on: no value is never written as 0.
func PingSamples(dev DeviceLabels, at time.Time, r device.PingResult) []Sample {
	out := make([]Sample, 0, 6)
	if r.Sent > 0 {
		loss := float64(r.Sent-r.Received) / float64(r.Sent)
		out = append(out, dev.Sample(MetricPingLoss, at, loss))
	}
	if r.Received > 0 {
		for _, st := range []struct {
			ms   *float64
			stat string
		}{{r.RTTMinMS, StatMin}, {r.RTTAvgMS, StatAvg}, {r.RTTMaxMS, StatMax}} {
			if st.ms != nil {
				out = append(out, dev.Sample(MetricPingRTT, at, *st.ms/1000, Label{LabelStat, st.stat}))
			}
		}
	}
	if r.Received > 1 && r.JitterMS != nil {
		out = append(out, dev.Sample(MetricPingJitter, at, *r.JitterMS/1000))
	}
	if v, ok := StatusValue(r.Status); ok {
		out = append(out, dev.Sample(MetricDeviceUp, at, v))
	}
	return out
}
