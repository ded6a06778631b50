package alert

import (
	"encoding/json"
	"time"
)

// Kind is what a rule watches.
type Kind string

// Rule kinds.
const (
	KindDeviceDown      Kind = "device_down"
	KindPingLossPct     Kind = "ping_loss_pct"
	KindPingRTTMS       Kind = "ping_rtt_ms"
	KindPingJitterMS    Kind = "ping_jitter_ms"
	KindIfDown          Kind = "if_down"
	KindIfUtilPct       Kind = "if_util_pct"
	KindIfErrorRate     Kind = "if_error_rate"
	KindCPUPct          Kind = "cpu_pct"
	KindMemPct          Kind = "mem_pct"
	KindRebooted        Kind = "rebooted"
	KindSNMPUnreachable Kind = "snmp_unreachable"
	// KindExtraOID compares the value of a named extra/vendor OID (Rule.Metric is its name, as
	// in the profile's extra OIDs) read by the last SNMP poll.
	KindExtraOID Kind = "extra_oid"
	KindSystem   Kind = "system"
)

// Kinds lists every rule kind.
var Kinds = []Kind{KindDeviceDown, KindPingLossPct, KindPingRTTMS, KindPingJitterMS, KindIfDown,
	KindIfUtilPct, KindIfErrorRate, KindCPUPct, KindMemPct, KindRebooted, KindSNMPUnreachable, KindExtraOID, KindSystem}

// Source is the cycle whose results a pass evaluates.
type Source string

// Sources of evaluation passes.
const (
	SourcePing   Source = "ping"
	SourceSNMP   Source = "snmp"
	SourceSystem Source = "system"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return s == SourcePing || s == SourceSNMP || s == SourceSystem }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k.Source() != "" }

// Source is the pass that evaluates rules of this kind ("" for an unknown kind).
func (k Kind) Source() Source {
	switch k {
	case KindDeviceDown, KindPingLossPct, KindPingRTTMS, KindPingJitterMS:
		return SourcePing
	case KindIfDown, KindIfUtilPct, KindIfErrorRate, KindCPUPct, KindMemPct, KindRebooted, KindSNMPUnreachable, KindExtraOID:
		return SourceSNMP
	case KindSystem:
		return SourceSystem
	}
	return ""
}

// Reachability reports whether an alert of this kind is a consequence of the path to the
// device being gone: those are suppressed while the device's parent is down.
func (k Kind) Reachability() bool {
	return k == KindDeviceDown || k == KindPingLossPct || k == KindSNMPUnreachable
}

// PerInterface reports whether the rule is evaluated per interface (subject = interface name).
func (k Kind) PerInterface() bool {
	return k == KindIfDown || k == KindIfUtilPct || k == KindIfErrorRate
}

// Thresholded reports whether threshold and op mean something for the kind (device_down,
// if_down and snmp_unreachable are plain conditions).
func (k Kind) Thresholded() bool {
	return k != KindDeviceDown && k != KindIfDown && k != KindSNMPUnreachable
}

// Severity of a rule and its alerts.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityMajor    Severity = "major"
	SeverityMinor    Severity = "minor"
	SeverityWarning  Severity = "warning"
)

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool {
	switch s {
	case SeverityCritical, SeverityMajor, SeverityMinor, SeverityWarning:
		return true
	}
	return false
}

// Op is the comparison of a thresholded rule.
type Op string

// Comparisons: OpGE fires at or above the threshold and recovers strictly below the recovery
// threshold; OpLE fires at or below and recovers strictly above.
const (
	OpGE Op = ">="
	OpLE Op = "<="
)

// Rule is one alert rule.
type Rule struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        Kind   `json:"kind"`
	// Metric is the system metric a system rule compares (see SystemMetrics).
	Metric            string   `json:"metric"`
	Op                Op       `json:"op"`
	Threshold         float64  `json:"threshold"`
	RecoveryThreshold float64  `json:"recovery_threshold"`
	ForCycles         int      `json:"for_cycles"`
	RecoverCycles     int      `json:"recover_cycles"`
	Severity          Severity `json:"severity"`
	Scope             Scope    `json:"scope"`
	// RepeatMinutes repeats a firing, unacknowledged alert's notification (0 = never).
	RepeatMinutes int `json:"repeat_minutes"`
	// FlapChanges state changes within FlapWindowS seconds mark an alert flapping (0 = off).
	FlapChanges int       `json:"flap_changes"`
	FlapWindowS int       `json:"flap_window_s"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// SystemMetrics are the metric names system rules understand; the worker-health task supplies
// them in EvalPayload.Metrics.
var SystemMetrics = []string{"workers", "busy_workers", "queue_pending", "queue_retry", "queue_archived", "spool_samples", "spool_dropped"}

// AlertState is the lifecycle state of an alert.
type AlertState string

// Alert states.
const (
	StateFiring       AlertState = "firing"
	StateAcknowledged AlertState = "acknowledged"
	StateResolved     AlertState = "resolved"
	StateSuppressed   AlertState = "suppressed"
)

// Valid reports whether s is a known alert state.
func (s AlertState) Valid() bool {
	switch s {
	case StateFiring, StateAcknowledged, StateResolved, StateSuppressed:
		return true
	}
	return false
}

// Suppression reasons.
const (
	ReasonParent      = "parent"
	ReasonMaintenance = "maintenance"
)

// Alert is one alert: opened when its rule fires for a (device, subject), closed when it
// resolves. DeviceID is 0 for system alerts (null in JSON).
type Alert struct {
	ID               int64      `json:"id"`
	RuleID           int64      `json:"rule_id"`
	RuleName         string     `json:"rule"`
	Kind             Kind       `json:"kind"`
	DeviceID         int64      `json:"device_id"`
	DeviceName       string     `json:"device"`
	Subject          string     `json:"subject"`
	Severity         Severity   `json:"severity"`
	State            AlertState `json:"state"`
	SuppressedReason string     `json:"suppressed_reason,omitempty"`
	MaintenanceID    int64      `json:"maintenance_id,omitempty"`
	Flapping         bool       `json:"flapping"`
	Value            *float64   `json:"value"`
	Threshold        *float64   `json:"threshold"`
	Summary          string     `json:"summary"`
	StartedAt        time.Time  `json:"started_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	ResolvedAt       *time.Time `json:"resolved_at"`
	AckedBy          string     `json:"acked_by,omitempty"`
	AckedAt          *time.Time `json:"acked_at,omitempty"`
	AckComment       string     `json:"ack_comment,omitempty"`
	AckExpiresAt     *time.Time `json:"ack_expires_at,omitempty"`
	ClosedBy         string     `json:"closed_by,omitempty"`
	CloseComment     string     `json:"close_comment,omitempty"`
	IncidentID       int64      `json:"incident_id,omitempty"`
	NotifiedChannels []int64    `json:"notified_channels"`
	LastNotifiedAt   *time.Time `json:"last_notified_at"`
	Version          int        `json:"-"`
}

// MarshalJSON writes device_id as null for system alerts.
func (a Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	var dev *int64
	if a.DeviceID != 0 {
		dev = &a.DeviceID
	}
	if a.NotifiedChannels == nil {
		a.NotifiedChannels = []int64{}
	}
	return json.Marshal(struct {
		plain
		DeviceID *int64 `json:"device_id"`
	}{plain(a), dev})
}

// Open reports whether the alert is not resolved.
func (a *Alert) Open() bool { return a.State != StateResolved }

// Incident groups the alerts behind one down root device (a branch router).
type Incident struct {
	ID            int64      `json:"id"`
	RootDeviceID  int64      `json:"root_device_id"`
	RootName      string     `json:"root_name"`
	Branch        string     `json:"branch"`
	Title         string     `json:"title"`
	State         string     `json:"state"`
	AlertID       int64      `json:"alert_id,omitempty"`
	AffectedCount int        `json:"affected_count"`
	OpenedAt      time.Time  `json:"opened_at"`
	RootUpSince   *time.Time `json:"root_up_since"`
	ResolvedAt    *time.Time `json:"resolved_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Incident states.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// Key identifies the single open alert and the evaluation state of a rule for a device and
// subject (interface name, system metric, or "").
type Key struct {
	RuleID   int64
	DeviceID int64
	Subject  string
}

// State is the evaluation state of one Key, kept between passes while it says something.
type State struct {
	Key
	BadCount  int
	GoodCount int
	// Active is the rule's condition after for/recovery counting.
	Active   bool
	Flapping bool
	// Latched: closed by hand while still bad; no new alert before a good cycle.
	Latched bool
	// Changes are the instants (unix ms) of recent Active changes, for flap detection.
	Changes []int64
	// Value is the last observed value (NaN when none).
	Value float64
	// Alert is the key's open alert, nil when none.
	Alert *Alert
	// Version is the stored row's version: a write applies only if the row still has it (a
	// close by hand in the meantime wins).
	Version int
}

// empty reports whether the state carries nothing worth keeping.
func (s *State) empty() bool {
	return s.BadCount == 0 && s.GoodCount == 0 && !s.Active && !s.Flapping && !s.Latched &&
		len(s.Changes) == 0 && s.Alert == nil
}

// Route is a channel's subscription: severities (empty = all) and scope.
type Route struct {
	ChannelID  int64
	Name       string
	Severities []Severity
	Scope      Scope
}
