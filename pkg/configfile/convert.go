package configfile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/store"
)

// The conversions from the store's objects to the file's are the one place that decides how
// a stored value is written; Apply normalises the file's objects through the same functions,
// so that a file exported and applied again compares equal field for field.

// Profile defaults of a create (the API's).
const (
	defaultPingCount      = 3
	defaultPingIntervalMS = 10
	defaultPingTimeoutMS  = 1000
	defaultWindowCycles   = 5
)

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func ptr[T any](v T) *T { return &v }

// falseOnly writes an enabled flag: absent when true (the default), false when false.
func falseOnly(b bool) *bool {
	if b {
		return nil
	}
	return ptr(false)
}

func orTrue(b *bool) bool { return b == nil || *b }

func regionToFile(r store.Region) Region { return Region{Name: r.Name, Description: r.Description} }

func branchToFile(b store.Branch, profileName func(*int64) string) Branch {
	return Branch{Name: b.Name, Region: b.Region, Address: b.Address, Latitude: b.Latitude, Longitude: b.Longitude,
		ISP: b.ISP, CircuitID: b.CircuitID, Contacts: b.Contacts, TimeZone: b.TimeZone, Profile: profileName(b.ProfileID)}
}

func profileToFile(p store.Profile) Profile {
	types := slices.Clone(p.DeviceTypes)
	slices.Sort(types)
	return Profile{Name: p.Name, PingCount: p.PingCount, PingIntervalMS: p.PingIntervalMS, PingTimeoutMS: p.PingTimeoutMS,
		DegradedLossPct: p.DegradedLossPct, WindowCycles: p.WindowCycles, RecoverLossPct: p.RecoverLossPct,
		RoleAliasPattern: p.RoleAliasPattern, DeviceTypes: nilIfEmpty(types)}
}

// profileFromFile is the stored profile a file's profile asks for (defaults filled in).
func profileFromFile(p Profile) store.Profile {
	out := store.Profile{Name: strings.TrimSpace(p.Name), PingCount: p.PingCount, PingIntervalMS: p.PingIntervalMS,
		PingTimeoutMS: p.PingTimeoutMS, DegradedLossPct: p.DegradedLossPct, WindowCycles: p.WindowCycles,
		RecoverLossPct: p.RecoverLossPct, RoleAliasPattern: p.RoleAliasPattern, DeviceTypes: slices.Clone(p.DeviceTypes)}
	if out.PingCount == 0 {
		out.PingCount = defaultPingCount
	}
	if out.PingIntervalMS == 0 {
		out.PingIntervalMS = defaultPingIntervalMS
	}
	if out.PingTimeoutMS == 0 {
		out.PingTimeoutMS = defaultPingTimeoutMS
	}
	if out.WindowCycles == 0 {
		out.WindowCycles = defaultWindowCycles
	}
	if out.DeviceTypes == nil {
		out.DeviceTypes = []string{}
	}
	return out
}

func deviceToFile(d store.Device, deviceName, profileName func(*int64) string) Device {
	return Device{Name: d.Name, IP: d.IP.String(), Branch: d.Branch, Type: d.Type, Vendor: d.Vendor,
		Labels: nilIfEmptyMap(d.Labels), Parent: deviceName(d.ParentID), Profile: profileName(d.ProfileID), Enabled: falseOnly(d.Enabled)}
}

func scopeToFile(s alert.Scope, deviceName func(*int64) string) Scope {
	out := Scope{Regions: nilIfEmpty(s.Regions), Branches: nilIfEmpty(s.Branches), Types: nilIfEmpty(s.Types),
		Labels: nilIfEmptyMap(s.Labels)}
	for _, id := range s.Devices {
		out.Devices = append(out.Devices, deviceName(&id))
	}
	if s.Interfaces != nil {
		out.Interfaces = &IfScope{Names: nilIfEmpty(s.Interfaces.Names), Aliases: nilIfEmpty(s.Interfaces.Aliases),
			Roles: nilIfEmpty(s.Interfaces.Roles)}
	}
	return out
}

// scopeFromFile turns device names into ids (deviceID answers 0 for a name not (yet) stored).
func scopeFromFile(s Scope, deviceID func(string) int64) alert.Scope {
	out := alert.Scope{Regions: s.Regions, Branches: s.Branches, Types: s.Types, Labels: s.Labels}
	for _, n := range s.Devices {
		out.Devices = append(out.Devices, deviceID(n))
	}
	if s.Interfaces != nil {
		out.Interfaces = &alert.IfScope{Names: s.Interfaces.Names, Aliases: s.Interfaces.Aliases, Roles: s.Interfaces.Roles}
	}
	return out
}

func ruleToFile(r alert.Rule, deviceName func(*int64) string) Rule {
	return Rule{Name: r.Name, Description: r.Description, Kind: string(r.Kind), Metric: r.Metric, Op: ptr(string(r.Op)),
		Threshold: r.Threshold, RecoveryThreshold: ptr(r.RecoveryThreshold), ForCycles: ptr(r.ForCycles),
		RecoverCycles: ptr(r.RecoverCycles), Severity: ptr(string(r.Severity)), Scope: scopeToFile(r.Scope, deviceName),
		RepeatMinutes: r.RepeatMinutes, FlapChanges: ptr(r.FlapChanges), FlapWindowS: ptr(r.FlapWindowS), Enabled: ptr(r.Enabled)}
}

// ruleInput is the full input of a file's rule: every field set, so that an update replaces
// the stored rule whole (omitted fields take the create defaults, as in a new rule).
func ruleInput(r Rule, deviceID func(string) int64) (alert.RuleInput, error) {
	kind := alert.Kind(r.Kind)
	in := alert.RuleInput{Name: &r.Name, Description: &r.Description, Kind: &kind, Metric: &r.Metric,
		Threshold: &r.Threshold, RecoveryThreshold: r.RecoveryThreshold, ForCycles: r.ForCycles,
		RecoverCycles: r.RecoverCycles, Scope: ptr(scopeFromFile(r.Scope, deviceID)), RepeatMinutes: &r.RepeatMinutes,
		FlapChanges: r.FlapChanges, FlapWindowS: r.FlapWindowS, Enabled: r.Enabled}
	if r.Op != nil {
		in.Op = ptr(alert.Op(*r.Op))
	}
	if r.Severity != nil {
		in.Severity = ptr(alert.Severity(*r.Severity))
	}
	full, err := in.NewRule() // fills the defaults of the omitted fields and validates
	if err != nil {
		return in, err
	}
	return alert.RuleInput{Name: &full.Name, Description: &full.Description, Kind: &full.Kind, Metric: &full.Metric,
		Op: &full.Op, Threshold: &full.Threshold, RecoveryThreshold: &full.RecoveryThreshold, ForCycles: &full.ForCycles,
		RecoverCycles: &full.RecoverCycles, Severity: &full.Severity, Scope: &full.Scope, RepeatMinutes: &full.RepeatMinutes,
		FlapChanges: &full.FlapChanges, FlapWindowS: &full.FlapWindowS, Enabled: &full.Enabled}, nil
}

// simpleSecrets are the channel secrets a file can name (webhook URL credentials, queries and
// header values are written through the API and kept as they are by Apply).
var simpleSecrets = []string{"bot_token", "hmac_secret", "password", "webhook_url"}

func channelToFile(c notify.Channel, deviceName func(*int64) string) Channel {
	cfg := c.Config
	out := Channel{Name: c.Name, Type: string(c.Type), Config: ChannelConfig{URL: cfg.URL, Host: cfg.Host, Port: cfg.Port,
		Username: cfg.Username, From: cfg.From, To: nilIfEmpty(cfg.To), StartTLS: cfg.StartTLS, TLSSkipVerify: cfg.TLSSkipVerify,
		APIBase: cfg.APIBase, ChatID: cfg.ChatID, TimeoutMS: cfg.TimeoutMS},
		Scope: scopeToFile(c.Scope, deviceName), Enabled: falseOnly(c.Enabled)}
	for _, s := range c.Severities {
		out.Severities = append(out.Severities, string(s))
	}
	for _, n := range c.SecretNames {
		if slices.Contains(simpleSecrets, n) {
			if out.Secrets == nil {
				out.Secrets = map[string]string{}
			}
			out.Secrets[n] = placeholder(c.Name, n)
		}
	}
	return out
}

func channelConfig(c ChannelConfig) notify.Config {
	return notify.Config{URL: c.URL, Host: c.Host, Port: c.Port, Username: c.Username, From: c.From, To: c.To,
		StartTLS: c.StartTLS, TLSSkipVerify: c.TLSSkipVerify, APIBase: c.APIBase, ChatID: c.ChatID, TimeoutMS: c.TimeoutMS}
}

func severities(s []string) []alert.Severity {
	out := make([]alert.Severity, len(s))
	for i, v := range s {
		out[i] = alert.Severity(v)
	}
	return out
}

func windowToFile(w alert.Window, deviceName func(*int64) string) Window {
	out := Window{Name: w.Name, Description: w.Description, Kind: w.Kind, Weekdays: nilIfEmpty(w.Weekdays),
		StartTime: w.StartTime, DurationMinutes: w.DurationMinutes, TimeZone: w.TimeZone,
		Targets: scopeToFile(w.Targets, deviceName), Enabled: falseOnly(w.Enabled)}
	if w.StartsAt != nil {
		out.StartsAt = w.StartsAt.UTC().Format(time.RFC3339)
	}
	if w.EndsAt != nil {
		out.EndsAt = w.EndsAt.UTC().Format(time.RFC3339)
	}
	return out
}

// windowInput is the input of a file's window; the times have been checked by validate.
func windowInput(w Window, deviceID func(string) int64) alert.WindowInput {
	in := alert.WindowInput{Name: w.Name, Description: w.Description, Kind: w.Kind, Weekdays: w.Weekdays,
		StartTime: w.StartTime, DurationMinutes: w.DurationMinutes, TimeZone: w.TimeZone,
		Targets: scopeFromFile(w.Targets, deviceID), Enabled: ptr(orTrue(w.Enabled)), CreatedBy: "config"}
	if t, err := time.Parse(time.RFC3339, w.StartsAt); err == nil {
		in.StartsAt = ptr(t.UTC())
	}
	if t, err := time.Parse(time.RFC3339, w.EndsAt); err == nil {
		in.EndsAt = ptr(t.UTC())
	}
	return in
}

func jobToFile(e store.ScheduleEntry) Job {
	out := Job{Task: e.TaskType, Interval: shortDuration(e.Interval), Enabled: falseOnly(e.Enabled)}
	if e.Offset != 0 {
		out.Offset = shortDuration(e.Offset)
	}
	return out
}

// shortDuration writes whole hours, minutes or seconds as "1h", "5m", "90s".
func shortDuration(d time.Duration) string {
	switch {
	case d != 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d != 0 && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

func userToFile(u store.User) User {
	return User{Username: u.Username, Role: u.Role, Disabled: u.Disabled, ScopeRegions: nilIfEmpty(u.ScopeRegions),
		ScopeBranches: nilIfEmpty(u.ScopeBranches)}
}
