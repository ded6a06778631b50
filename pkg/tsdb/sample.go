package tsdb

import "time"

// Label is one name=value pair of a series.
type Label struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Sample is one value of one series at one moment, as written to VictoriaMetrics.
type Sample struct {
	// Metric is the metric name, e.g. wardops_ping_rtt_seconds.
	Metric string `json:"metric"`
	// Labels identify the series besides the name (device, device_id, branch, region, type, ifName…).
	Labels []Label `json:"labels"`
	// Value is the sample value.
	Value float64 `json:"value"`
	// At is the sample's own timestamp (not the write time).
	At time.Time `json:"at"`
}
