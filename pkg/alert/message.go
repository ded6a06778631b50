package alert

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Notification events (Message.Event).
const (
	NotifyFiring   = "firing"
	NotifyResolved = "resolved"
	NotifyRepeat   = "repeat"
	NotifyTest     = "test"
)

// Message is what one notification says; the webhook sends it as JSON, the other channels as
// text made from it.
type Message struct {
	// Event is firing, resolved, repeat or test.
	Event    string     `json:"event"`
	AlertID  int64      `json:"alert_id"`
	RuleID   int64      `json:"rule_id"`
	Rule     string     `json:"rule"`
	Kind     Kind       `json:"kind"`
	Severity Severity   `json:"severity"`
	State    AlertState `json:"state"`
	DeviceID int64      `json:"device_id,omitempty"`
	Device   string     `json:"device,omitempty"`
	IP       string     `json:"ip,omitempty"`
	Branch   string     `json:"branch,omitempty"`
	Region   string     `json:"region,omitempty"`
	Subject  string     `json:"subject,omitempty"`
	Value    *float64   `json:"value,omitempty"`
	// Threshold is the rule's threshold for thresholded kinds.
	Threshold *float64     `json:"threshold,omitempty"`
	Summary   string       `json:"summary"`
	StartedAt time.Time    `json:"started_at"`
	At        time.Time    `json:"at"`
	Comment   string       `json:"comment,omitempty"`
	Incident  *IncidentRef `json:"incident,omitempty"`
	// DeliveryKey identifies this (event, channel) delivery; receivers may dedupe on it.
	DeliveryKey string `json:"delivery_key,omitempty"`
}

// IncidentRef is the incident an alert heads: the parent's firing carries it.
type IncidentRef struct {
	ID           int64  `json:"id"`
	RootDeviceID int64  `json:"root_device_id"`
	Title        string `json:"title"`
	Affected     int    `json:"affected"`
}

// Title is a one-line subject: "[FIRING critical] router-1 down".
func (m *Message) Title() string {
	return fmt.Sprintf("[%s %s] %s", strings.ToUpper(m.Event), m.Severity, m.Summary)
}

// Text is the plain-text body of email, Slack and Telegram notifications.
func (m *Message) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", m.Title())
	if m.Incident != nil {
		fmt.Fprintf(&b, "Incident: %s\n", m.Incident.Title)
	}
	fmt.Fprintf(&b, "Rule: %s (%s)\n", m.Rule, m.Kind)
	if m.Device != "" {
		fmt.Fprintf(&b, "Device: %s %s branch=%s region=%s\n", m.Device, m.IP, m.Branch, m.Region)
	}
	if m.Subject != "" {
		fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	}
	fmt.Fprintf(&b, "State: %s since %s\n", m.State, m.StartedAt.UTC().Format(time.RFC3339))
	if m.Comment != "" {
		fmt.Fprintf(&b, "Comment: %s\n", m.Comment)
	}
	fmt.Fprintf(&b, "At: %s  Alert #%d\n", m.At.UTC().Format(time.RFC3339), m.AlertID)
	return b.String()
}

// summary is an alert's one-line description.
func summary(r *Rule, d *Device, subject string, v float64) string {
	who := subject
	if d != nil {
		who = d.Name
		if subject != "" {
			who += " " + subject
		}
	}
	switch r.Kind {
	case KindDeviceDown:
		return who + " down"
	case KindIfDown:
		return who + " down (admin up)"
	case KindSNMPUnreachable:
		return who + " SNMP unreachable"
	}
	what := map[Kind]string{KindPingLossPct: "packet loss", KindPingRTTMS: "RTT", KindPingJitterMS: "jitter",
		KindIfUtilPct: "utilisation", KindIfErrorRate: "errors/s", KindCPUPct: "CPU", KindMemPct: "memory",
		KindRebooted: "uptime", KindSystem: "", KindExtraOID: r.Metric}[r.Kind]
	unit := map[Kind]string{KindPingLossPct: "%", KindPingRTTMS: " ms", KindPingJitterMS: " ms",
		KindIfUtilPct: "%", KindCPUPct: "%", KindMemPct: "%", KindRebooted: " s"}[r.Kind]
	if what != "" {
		who += " " + what
	}
	return fmt.Sprintf("%s %s%s (%s %s%s)", who, num(v), unit, r.Op, num(r.Threshold), unit)
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "?"
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// incidentTitle is "Branch X: router-1 down — 12 devices unreachable".
func incidentTitle(root *Device, affected int) string {
	noun := "devices"
	if affected == 1 {
		noun = "device"
	}
	t := fmt.Sprintf("%s down — %d %s unreachable", root.Name, affected, noun)
	if root.Branch != "" {
		t = "Branch " + root.Branch + ": " + t
	}
	return t
}

// NewMessage builds the notification of event (NotifyFiring, NotifyResolved…) for alert a at
// instant at, outside a pass (a close by hand, a test send). d may be nil.
func NewMessage(a *Alert, d *Device, event string, at time.Time) Message {
	m := Message{Event: event, AlertID: a.ID, RuleID: a.RuleID, Rule: a.RuleName, Kind: a.Kind,
		Severity: a.Severity, State: a.State, DeviceID: a.DeviceID, Device: a.DeviceName, Subject: a.Subject,
		Value: a.Value, Threshold: a.Threshold, Summary: a.Summary, StartedAt: a.StartedAt, At: at.UTC()}
	if d != nil {
		m.IP, m.Branch, m.Region = d.IP, d.Branch, d.Region
	}
	return m
}
