package device

import "time"

// PingResult is what one ping cycle measured of one device, in the one shape every layer after
// the probe uses: the worker builds it from the probe's echoes (pkg/probe keeps the raw
// replies), the store writes it as a history row and the latest status, and pkg/tsdb turns it
// into samples. Times are milliseconds, as the API and the database show them; a value that
// was not measured is nil, never 0.
type PingResult struct {
	DeviceID int64
	// SlotAt is the start of the cycle's slot (the row's key: a retried task writes the same
	// row); MeasuredAt when the replies were read.
	SlotAt     time.Time
	MeasuredAt time.Time
	// Sent echo requests, Received replies.
	Sent     int
	Received int
	// RTTs are over the replies received: nil when none came back.
	RTTMinMS *float64
	RTTAvgMS *float64
	RTTMaxMS *float64
	// JitterMS is the population standard deviation of the replies' RTTs (docs/METRICS.md);
	// nil when fewer than two replies came back.
	JitterMS *float64
	LossPct  float64
	Status   Status
}
