package tsdb

import (
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/google/go-cmp/cmp"
)

func TestPingSamples(t *testing.T) {
	dev := DeviceLabels{ID: 7, Name: "br1-rtr", Branch: "Br1", Region: "North", Type: "router"}
	base := dev.Labels()
	with := func(l Label) []Label { return append(append([]Label{}, base...), l) }
	tests := []struct {
		name string
		in   device.PingResult
		want []Sample
	}{
		{
			name: "all replies",
			in: device.PingResult{RTTMinMS: msp(1 * time.Millisecond), RTTAvgMS: msp(2 * time.Millisecond), RTTMaxMS: msp(4 * time.Millisecond),
				JitterMS: msp(1500 * time.Microsecond), Sent: 3, Received: 3, Status: "up"},
			want: []Sample{
				{Metric: MetricPingLoss, Labels: base, Value: 0, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "min"}), Value: 0.001, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "avg"}), Value: 0.002, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "max"}), Value: 0.004, At: t0},
				{Metric: MetricPingJitter, Labels: base, Value: 0.0015, At: t0},
				{Metric: MetricDeviceUp, Labels: base, Value: 1, At: t0},
			},
		},
		{
			name: "one reply: no jitter, degraded",
			in:   device.PingResult{RTTMinMS: msp(time.Millisecond), RTTAvgMS: msp(time.Millisecond), RTTMaxMS: msp(time.Millisecond), Sent: 3, Received: 1, Status: "degraded"},
			want: []Sample{
				{Metric: MetricPingLoss, Labels: base, Value: 2.0 / 3, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "min"}), Value: 0.001, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "avg"}), Value: 0.001, At: t0},
				{Metric: MetricPingRTT, Labels: with(Label{"stat", "max"}), Value: 0.001, At: t0},
				{Metric: MetricDeviceUp, Labels: base, Value: 0.5, At: t0},
			},
		},
		{
			name: "no reply: loss and down only",
			in:   device.PingResult{Sent: 3, Status: "down"},
			want: []Sample{
				{Metric: MetricPingLoss, Labels: base, Value: 1, At: t0},
				{Metric: MetricDeviceUp, Labels: base, Value: 0, At: t0},
			},
		},
		{name: "maintenance: nothing", in: device.PingResult{Status: "maintenance"}, want: []Sample{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PingSamples(dev, t0, tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("samples (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeviceLabels(t *testing.T) {
	got := DeviceLabels{ID: 12, Name: "atm-3", Branch: "B", Region: "R", Type: "atm"}.Labels(Label{LabelIfName, "eth0"})
	want := []Label{{"device", "atm-3"}, {"device_id", "12"}, {"branch", "B"}, {"region", "R"}, {"type", "atm"}, {"ifName", "eth0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
}

// msp is d in milliseconds, as a measured value of a PingResult.
func msp(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}
