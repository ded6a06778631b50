package snmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
)

// DeviceSettings returns a device's own SNMP settings for display (secrets as *_set flags),
// or nil when it has none.
func (s *Service) DeviceSettings(ctx context.Context, deviceID int64) (*Settings, error) {
	c, err := s.p.Store.DeviceSNMPConfig(ctx, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := settingsFromConfig(c, nil, owner{"device", deviceID}, false)
	if err != nil {
		return nil, err
	}
	return &set, nil
}

// RevealedDeviceSettings returns a device's own SNMP settings with the secrets opened, or nil
// when it has none: for comparing wanted settings with the stored ones (configuration files
// are applied idempotently), never for display.
func (s *Service) RevealedDeviceSettings(ctx context.Context, deviceID int64) (*Settings, error) {
	c, err := s.p.Store.DeviceSNMPConfig(ctx, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	set, err := settingsFromConfig(c, s.p.Secrets, owner{"device", deviceID}, true)
	if err != nil {
		return nil, err
	}
	return &set, nil
}

// PutDeviceSettings validates and stores a device's SNMP settings (create or update). A secret
// the input leaves out is kept from the stored settings when it still applies (same version;
// same v3 user), so clients update settings without resending secrets. Validation errors are
// *FieldError (errors.Is ErrInvalid); a missing device is store.ErrNotFound; a new secret
// without WARDOPS_SECRET_KEY is secrets.ErrNoKey. It returns the stored settings for display.
func (s *Service) PutDeviceSettings(ctx context.Context, deviceID int64, in Settings) (Settings, error) {
	var old *store.SNMPConfig
	c, err := s.p.Store.DeviceSNMPConfig(ctx, deviceID)
	switch {
	case err == nil:
		old = &c
	case !errors.Is(err, store.ErrNotFound):
		return Settings{}, err
	}
	o := owner{"device", deviceID}
	row, err := s.sealMerged(in, old, o)
	if err != nil {
		return Settings{}, err
	}
	if err := s.p.Store.PutDeviceSNMPConfig(ctx, deviceID, row); err != nil {
		return Settings{}, err
	}
	return settingsFromConfig(row, nil, o, false)
}

// sealMerged merges the stored secrets into in, validates, and seals.
func (s *Service) sealMerged(in Settings, old *store.SNMPConfig, o owner) (store.SNMPConfig, error) {
	if old != nil {
		stored, err := settingsFromConfig(*old, nil, o, false)
		if err != nil {
			return store.SNMPConfig{}, err
		}
		in = in.MergeSecrets(stored)
	}
	if err := in.Validate(); err != nil {
		return store.SNMPConfig{}, err
	}
	return configFromSettings(in, old, s.p.Secrets, o)
}

// DeleteDeviceSettings removes a device's own SNMP settings (it then uses its profile's, if
// any).
func (s *Service) DeleteDeviceSettings(ctx context.Context, deviceID int64) error {
	return s.p.Store.DeleteDeviceSNMPConfig(ctx, deviceID)
}

// ProfileSettings are a monitoring profile's SNMP defaults.
type ProfileSettings struct {
	// Credentials are the default settings of the profile's devices (null: none).
	Credentials *Settings `json:"credentials"`
	// ExtraOIDs are read from every device of the profile.
	ExtraOIDs []ExtraOID `json:"extra_oids"`
}

// ProfileSettings returns a profile's SNMP defaults, or nil when it has none.
func (s *Service) ProfileSettings(ctx context.Context, profileID int64) (*ProfileSettings, error) {
	p, err := s.p.Store.ProfileSNMPConfig(ctx, profileID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return profileSettings(p, profileID, nil, false)
}

// RevealedProfileSettings returns a profile's SNMP defaults with the secrets opened, or nil
// when it has none: for comparing wanted settings with the stored ones (configuration files
// are applied idempotently), never for display.
func (s *Service) RevealedProfileSettings(ctx context.Context, profileID int64) (*ProfileSettings, error) {
	p, err := s.p.Store.ProfileSNMPConfig(ctx, profileID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return profileSettings(p, profileID, s.p.Secrets, true)
}

func profileSettings(p store.SNMPProfileConfig, profileID int64, box *secrets.Box, reveal bool) (*ProfileSettings, error) {
	out := &ProfileSettings{ExtraOIDs: []ExtraOID{}}
	if err := json.Unmarshal(p.ExtraOIDs, &out.ExtraOIDs); err != nil {
		return nil, fmt.Errorf("decode extra OIDs of profile %d: %w", profileID, err)
	}
	if p.Credentials != nil {
		set, err := settingsFromConfig(*p.Credentials, box, owner{"profile", profileID}, reveal)
		if err != nil {
			return nil, err
		}
		out.Credentials = &set
	}
	return out, nil
}

// PutProfileSettings validates and stores a profile's SNMP defaults, with the same secret
// semantics as PutDeviceSettings. Extra OID errors name the entry ("extra_oids[2].oid").
func (s *Service) PutProfileSettings(ctx context.Context, profileID int64, in ProfileSettings) (ProfileSettings, error) {
	extra, err := NormalizeExtraOIDs(in.ExtraOIDs)
	if err != nil {
		return ProfileSettings{}, err
	}
	if extra == nil {
		extra = []ExtraOID{}
	}
	var old *store.SNMPConfig
	p, err := s.p.Store.ProfileSNMPConfig(ctx, profileID)
	switch {
	case err == nil:
		old = p.Credentials
	case !errors.Is(err, store.ErrNotFound):
		return ProfileSettings{}, err
	}
	row := store.SNMPProfileConfig{}
	if in.Credentials != nil {
		c, err := s.sealMerged(*in.Credentials, old, owner{"profile", profileID})
		if err != nil {
			return ProfileSettings{}, err
		}
		row.Credentials = &c
	}
	if row.ExtraOIDs, err = json.Marshal(extra); err != nil {
		return ProfileSettings{}, fmt.Errorf("encode extra OIDs: %w", err)
	}
	if err := s.p.Store.PutProfileSNMPConfig(ctx, profileID, row); err != nil {
		return ProfileSettings{}, err
	}
	out, err := profileSettings(row, profileID, nil, false)
	if err != nil {
		return ProfileSettings{}, err
	}
	return *out, nil
}

// DeleteProfileSettings removes a profile's SNMP defaults (no error if it has none).
func (s *Service) DeleteProfileSettings(ctx context.Context, profileID int64) error {
	return s.p.Store.DeleteProfileSNMPConfig(ctx, profileID)
}

// Interface is one interface of GET /api/v1/devices/{id}/interfaces.
type Interface struct {
	IfIndex     uint32 `json:"if_index"`
	Name        string `json:"name"`
	Alias       string `json:"alias"`
	Descr       string `json:"descr"`
	AdminStatus string `json:"admin_status"`
	OperStatus  string `json:"oper_status"`
	SpeedBps    uint64 `json:"speed_bps"`
	// CounterBits is 64 when the HC counters are read, 32 for the ifTable fallback.
	CounterBits int `json:"counter_bits"`
	// Rates over the last poll interval; null when not computable (first poll, reset,
	// over-speed).
	InBps             *float64   `json:"in_bps"`
	OutBps            *float64   `json:"out_bps"`
	InUtilizationPct  *float64   `json:"in_utilization_pct"`
	OutUtilizationPct *float64   `json:"out_utilization_pct"`
	InErrorsPerSec    *float64   `json:"in_errors_per_sec"`
	OutErrorsPerSec   *float64   `json:"out_errors_per_sec"`
	InDiscardsPerSec  *float64   `json:"in_discards_per_sec"`
	OutDiscardsPerSec *float64   `json:"out_discards_per_sec"`
	OverSpeedDrops    int64      `json:"overspeed_drops"`
	LastChange        *time.Time `json:"last_change"`
	PolledAt          time.Time  `json:"polled_at"`
	// Role is what per-interface rules select by: set through the API (RoleSource "set") or
	// derived from the alias by the profile's role pattern ("alias"); "" none.
	Role       string `json:"role"`
	RoleSource string `json:"role_source"`
	// SeenUp: the interface has been up since discovery; if_down fires only for such ports.
	SeenUp bool `json:"seen_up"`
}

// Interfaces returns the latest state of a device's interfaces (empty if never polled).
// SetInterfaceRole sets (or with "" clears) the role of an interface of a device, which
// per-interface alert rules select by (validated by the caller); it returns the role before.
func (s *Service) SetInterfaceRole(ctx context.Context, deviceID, ifIndex int64, role string) (string, error) {
	return s.p.Store.SetInterfaceRole(ctx, deviceID, ifIndex, role)
}

func (s *Service) Interfaces(ctx context.Context, deviceID int64) ([]Interface, error) {
	rows, err := s.p.Store.SNMPInterfaces(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(rows))
	for _, r := range rows {
		out = append(out, Interface{
			IfIndex: r.IfIndex, Name: r.Name, Alias: r.Alias, Descr: r.Descr, AdminStatus: r.AdminStatus,
			OperStatus: r.OperStatus, SpeedBps: r.SpeedBps, CounterBits: int(r.InOctetsBits),
			InBps: r.InBps, OutBps: r.OutBps, InUtilizationPct: utilization(r.InBps, r.SpeedBps),
			OutUtilizationPct: utilization(r.OutBps, r.SpeedBps), InErrorsPerSec: r.InErrorsPS,
			OutErrorsPerSec: r.OutErrorsPS, InDiscardsPerSec: r.InDiscardsPS, OutDiscardsPerSec: r.OutDiscardsPS,
			OverSpeedDrops: r.OverSpeedDrops, LastChange: r.LastChange, PolledAt: r.PolledAt,
			Role: r.Role, RoleSource: roleSource(r), SeenUp: r.SeenUp,
		})
	}
	return out, nil
}

func roleSource(r store.SNMPInterface) string {
	switch {
	case r.Role == "":
		return ""
	case r.RoleDerived:
		return "alias"
	}
	return "set"
}

func utilization(bps *float64, speed uint64) *float64 {
	if bps == nil || speed == 0 {
		return nil
	}
	return ptr(min(100*(*bps)/float64(speed), 100))
}

// DeviceState is a device's latest SNMP state for the device page.
type DeviceState struct {
	SysName       string             `json:"sys_name"`
	SysDescr      string             `json:"sys_descr"`
	SysObjectID   string             `json:"sys_object_id"`
	UptimeSeconds *float64           `json:"uptime_seconds"`
	UptimeSource  string             `json:"uptime_source"`
	CPUPercent    *float64           `json:"cpu_percent"`
	MemoryPercent *float64           `json:"memory_percent"`
	Extra         map[string]float64 `json:"extra"`
	LastPoll      time.Time          `json:"last_poll"`
	LastSuccess   *time.Time         `json:"last_success"`
	PollMS        *float64           `json:"poll_ms"`
	// LastError and LastErrorKind are "" when the last poll succeeded.
	LastError     string `json:"last_error"`
	LastErrorKind string `json:"last_error_kind"`
}

// State returns a device's latest SNMP state, or nil when it was never polled.
func (s *Service) State(ctx context.Context, deviceID int64) (*DeviceState, error) {
	st, err := s.p.Store.SNMPDeviceState(ctx, deviceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &DeviceState{SysName: st.SysName, SysDescr: st.SysDescr, SysObjectID: st.SysObjectID,
		UptimeSource: st.UptimeSource, CPUPercent: st.CPUPercent, MemoryPercent: st.MemPercent,
		Extra: nonNil(st.Extra), LastPoll: st.LastPoll, LastSuccess: st.LastSuccess, PollMS: st.PollMS,
		LastError: st.LastError, LastErrorKind: st.LastErrorKind}
	if st.UptimeTicks != nil {
		out.UptimeSeconds = ptr(float64(*st.UptimeTicks) / ticksPerSecond)
	}
	return out, nil
}

func nonNil(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}
