package snmp

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
)

// owner names the row a sealed secret belongs to; it is the associated data of the seal, so a
// sealed value copied to another row does not open.
type owner struct {
	kind string // "device" or "profile"
	id   int64
}

func (o owner) aad(field string) []byte {
	return []byte("wardops/snmp/" + o.kind + "/" + strconv.FormatInt(o.id, 10) + "/" + field)
}

// settingsFromConfig turns a stored row into Settings. With reveal the secrets are opened
// (for polling); without, they are only marked as stored (for display).
func settingsFromConfig(c store.SNMPConfig, box *secrets.Box, o owner, reveal bool) (Settings, error) {
	s := Settings{
		Version: Version(c.Version), Username: c.Username, SecurityLevel: SecurityLevel(c.SecurityLevel),
		AuthProtocol: AuthProtocol(c.AuthProtocol), PrivProtocol: PrivProtocol(c.PrivProtocol),
		ContextName: c.ContextName, Host: c.Host, Port: c.Port, Timeout: time.Duration(c.TimeoutMS) * time.Millisecond,
		Retries: c.Retries, MaxRepetitions: c.MaxRepetitions,
	}
	for _, f := range []struct {
		name   string
		sealed string
		dst    *Secret
	}{{"community", c.CommunitySealed, &s.Community}, {"auth_password", c.AuthPasswordSealed, &s.AuthPassword}, {"priv_password", c.PrivPasswordSealed, &s.PrivPassword}} {
		if f.sealed == "" {
			continue
		}
		if !reveal {
			*f.dst = StoredSecret()
			continue
		}
		pt, err := box.Open(f.sealed, o.aad(f.name))
		if err != nil {
			return s, &Error{Kind: KindConfig, Detail: fmt.Sprintf("cannot open the stored %s of %s %d (is WARDOPS_SECRET_KEY the key it was sealed with?)", f.name, o.kind, o.id), Err: err}
		}
		*f.dst = NewSecret(string(pt))
	}
	return s, nil
}

// configFromSettings seals the settings' secrets into a row. A secret that is only "stored"
// (kept from the previous row by MergeSecrets) keeps the previous sealed value.
func configFromSettings(s Settings, old *store.SNMPConfig, box *secrets.Box, o owner) (store.SNMPConfig, error) {
	d := s.WithDefaults()
	c := store.SNMPConfig{
		Version: string(d.Version), Host: d.Host, Port: d.Port, TimeoutMS: int(d.Timeout.Milliseconds()),
		Retries: d.Retries, MaxRepetitions: d.MaxRepetitions, Username: d.Username,
		SecurityLevel: string(d.SecurityLevel), AuthProtocol: string(d.AuthProtocol),
		PrivProtocol: string(d.PrivProtocol), ContextName: d.ContextName,
	}
	var prev store.SNMPConfig
	if old != nil {
		prev = *old
	}
	for _, f := range []struct {
		name    string
		secret  Secret
		oldSeal string
		dst     *string
	}{{"community", d.Community, prev.CommunitySealed, &c.CommunitySealed},
		{"auth_password", d.AuthPassword, prev.AuthPasswordSealed, &c.AuthPasswordSealed},
		{"priv_password", d.PrivPassword, prev.PrivPasswordSealed, &c.PrivPasswordSealed}} {
		switch {
		case f.secret.value != "":
			sealed, err := box.Seal([]byte(f.secret.value), o.aad(f.name))
			if err != nil {
				return c, fmt.Errorf("seal %s: %w", f.name, err)
			}
			*f.dst = sealed
		case f.secret.stored:
			if f.oldSeal == "" {
				return c, errors.New("internal: stored " + f.name + " without a previous value")
			}
			*f.dst = f.oldSeal
		}
	}
	return c, nil
}

func previousFromStore(p store.SNMPPrevious) *Previous {
	st := p.State
	if st.LastSuccess == nil {
		return nil
	}
	prev := &Previous{At: *st.LastSuccess, UptimeSource: st.UptimeSource, Interfaces: make(map[uint32]IfState, len(p.Interfaces))}
	if st.UptimeTicks != nil {
		prev.UptimeTicks, prev.HasUptime = uint32(*st.UptimeTicks), true
	}
	for _, i := range p.Interfaces {
		prev.Interfaces[i.IfIndex] = ifStateFromStore(i)
	}
	return prev
}

func ifStateFromStore(i store.SNMPInterface) IfState {
	c32 := func(p *uint64) Counter {
		if p == nil {
			return Counter{}
		}
		return Counter{Value: *p, Width: 32}
	}
	return IfState{
		IfReading: IfReading{
			Index: i.IfIndex, Name: i.Name, Alias: i.Alias, Descr: i.Descr,
			AdminStatus: ParseIfStatus(i.AdminStatus), OperStatus: ParseIfStatus(i.OperStatus), SpeedBps: i.SpeedBps,
			InOctets:  Counter{Value: i.InOctets, Width: i.InOctetsBits},
			OutOctets: Counter{Value: i.OutOctets, Width: i.OutOctetsBits},
			InErrors:  c32(i.InErrors), OutErrors: c32(i.OutErrors), InDiscards: c32(i.InDiscards), OutDiscards: c32(i.OutDiscards),
			Discontinuity: i.DiscontinuityTicks,
		},
		PolledAt: i.PolledAt, InBps: i.InBps, OutBps: i.OutBps, InErrorsPS: i.InErrorsPS, OutErrorsPS: i.OutErrorsPS,
		InDiscardsPS: i.InDiscardsPS, OutDiscardsPS: i.OutDiscardsPS, OverSpeedDrops: i.OverSpeedDrops, LastChange: i.LastChange,
	}
}

func ifStateToStore(deviceID int64, s IfState) store.SNMPInterface {
	opt := func(c Counter) *uint64 {
		if c.Width == 0 {
			return nil
		}
		return &c.Value
	}
	return store.SNMPInterface{
		DeviceID: deviceID, IfIndex: s.Index, Name: s.Name, Alias: s.Alias, Descr: s.Descr,
		AdminStatus: s.AdminStatus.String(), OperStatus: s.OperStatus.String(), SpeedBps: s.SpeedBps,
		InOctets: s.InOctets.Value, OutOctets: s.OutOctets.Value, InOctetsBits: s.InOctets.Width, OutOctetsBits: s.OutOctets.Width,
		InErrors: opt(s.InErrors), OutErrors: opt(s.OutErrors), InDiscards: opt(s.InDiscards), OutDiscards: opt(s.OutDiscards),
		DiscontinuityTicks: s.Discontinuity, InBps: s.InBps, OutBps: s.OutBps, InErrorsPS: s.InErrorsPS,
		OutErrorsPS: s.OutErrorsPS, InDiscardsPS: s.InDiscardsPS, OutDiscardsPS: s.OutDiscardsPS,
		OverSpeedDrops: s.OverSpeedDrops, LastChange: s.LastChange, PolledAt: s.PolledAt,
	}
}

// successRecord is what a successful poll stores.
func successRecord(d store.Device, r *Reading, o Outcome) store.SNMPPollRecord {
	ticks, source := r.Uptime()
	t64 := int64(ticks)
	at := r.At
	extra := map[string]float64{}
	for _, e := range r.Extra {
		if e.OK {
			extra[e.Name] = e.Value
		}
	}
	rec := store.SNMPPollRecord{Success: true, State: store.SNMPDeviceState{
		DeviceID: d.ID, SysName: r.SysName, SysDescr: r.SysDescr, SysObjectID: r.SysObjectID,
		UptimeTicks: &t64, UptimeSource: source, CPUPercent: r.CPUPercent, MemPercent: r.MemoryPercent,
		Extra: extra, LastPoll: at, LastSuccess: &at, PollMS: ptr(ms(r.Duration)),
	}}
	for _, i := range o.Interfaces {
		rec.Interfaces = append(rec.Interfaces, ifStateToStore(d.ID, i))
	}
	for _, e := range o.Events {
		rec.Events = append(rec.Events, store.SNMPEvent{DeviceID: d.ID, At: e.At, Kind: e.Kind, FromStatus: e.From, ToStatus: e.To, Detail: e.Detail})
	}
	return rec
}

// failureRecord is what a failed poll stores: the error, not a new baseline.
func failureRecord(deviceID int64, at time.Time, took time.Duration, err error) store.SNMPPollRecord {
	kind := KindOf(err)
	if kind == "" {
		kind = KindProtocol
	}
	return store.SNMPPollRecord{State: store.SNMPDeviceState{
		DeviceID: deviceID, LastPoll: at, PollMS: ptr(ms(took)), LastError: err.Error(), LastErrorKind: string(kind),
	}}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
