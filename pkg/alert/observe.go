package alert

import (
	"cmp"
	"math"
	"slices"

	"github.com/wardops/wardops/pkg/device"
)

// obs is one observation of a rule's condition.
type obs uint8

const (
	obsNone obs = iota // no data: counters stay as they are
	obsGood
	obsBad
)

// judge compares v with the rule: against the threshold while inactive, against the recovery
// threshold while active (hysteresis).
func judge(r *Rule, v float64, active bool) obs {
	if math.IsNaN(v) {
		return obsNone
	}
	if r.Op == OpLE {
		if active {
			return pick(v > r.RecoveryThreshold)
		}
		return pick(v > r.Threshold)
	}
	if active {
		return pick(v < r.RecoveryThreshold)
	}
	return pick(v < r.Threshold)
}

func pick(good bool) obs {
	if good {
		return obsGood
	}
	return obsBad
}

func flag(bad bool) (obs, float64) {
	if bad {
		return obsBad, 1
	}
	return obsGood, 0
}

// observeDevice is the observation of a per-device rule.
func observeDevice(r *Rule, d *Device, active bool) (obs, float64) {
	switch r.Kind {
	case KindDeviceDown:
		switch d.Status {
		case device.Down:
			return flag(true)
		case device.Up, device.Degraded:
			return flag(false)
		}
		return obsNone, math.NaN()
	case KindPingLossPct, KindPingRTTMS, KindPingJitterMS:
		if d.Status == device.Down { // device_down covers it
			return obsNone, math.NaN()
		}
		v := d.JitterMS
		switch r.Kind {
		case KindPingLossPct:
			v = d.LossPct
		case KindPingRTTMS:
			v = d.RTTMS
		}
		return judge(r, v, active), v
	case KindSNMPUnreachable:
		if !d.SNMP {
			return obsNone, math.NaN()
		}
		return flag(!d.SNMPOK)
	}
	if !d.SNMP || !d.SNMPOK { // stale SNMP values say nothing
		return obsNone, math.NaN()
	}
	v := math.NaN()
	switch r.Kind {
	case KindCPUPct:
		v = d.CPUPct
	case KindMemPct:
		v = d.MemPct
	case KindRebooted:
		v = d.UptimeS
	}
	return judge(r, v, active), v
}

// observeExtra is the observation of an extra_oid rule: the named value of the last poll; no
// data when the poll failed or did not read it.
func observeExtra(r *Rule, d *Device, extra map[string]float64, active bool) (obs, float64) {
	v, ok := extra[r.Metric]
	if !d.SNMP || !d.SNMPOK || !ok {
		return obsNone, math.NaN()
	}
	return judge(r, v, active), v
}

// observeInterface is the observation of a per-interface rule.
func observeInterface(r *Rule, f *Interface, active bool) (obs, float64) {
	switch r.Kind {
	case KindIfDown:
		// link down: an interface that was up and is not, never a port not yet seen up
		return flag(f.AdminUp && !f.OperUp && f.SeenUp)
	case KindIfUtilPct:
		if f.SpeedBps <= 0 || math.IsNaN(f.SpeedBps) {
			return obsNone, math.NaN()
		}
		v := math.Max(f.InBps, f.OutBps) / f.SpeedBps * 100
		if math.IsNaN(f.InBps) || math.IsNaN(f.OutBps) {
			v = math.NaN()
		}
		return judge(r, v, active), v
	case KindIfErrorRate:
		return judge(r, f.ErrorsPS, active), f.ErrorsPS
	}
	return obsNone, math.NaN()
}

func (p *pass) evalRule(r *Rule) {
	switch {
	case r.Kind == KindSystem:
		p.evalSystem(r)
	case r.Kind.PerInterface():
		p.evalInterfaces(r)
	default:
		p.evalDevices(r)
	}
}

// lookup returns the state entry of a key; it skips the map when the rule has no state at all,
// which is the common case in a healthy network.
func (p *pass) lookup(hasStates bool, k Key) (*entry, bool) {
	if !hasStates {
		return nil, false
	}
	var e *entry
	if k.Subject == "" {
		e = p.devStates[k.RuleID][k.DeviceID]
	} else {
		e = p.states[k]
	}
	if e == nil {
		return nil, false
	}
	return e, e.st.Active
}

func (p *pass) evalDevices(r *Rule) {
	idx, all := p.scopes.devices(r.Scope)
	n := len(idx)
	if all {
		n = len(p.snap.Devices)
	}
	hasStates := p.perRule[r.ID] > 0
	for j := 0; j < n; j++ {
		di := int32(j)
		if !all {
			di = idx[j]
		}
		d := &p.snap.Devices[di]
		e, active := p.lookup(hasStates, Key{RuleID: r.ID, DeviceID: d.ID})
		o, v := observeDevice(r, d, active)
		if r.Kind == KindExtraOID {
			o, v = observeExtra(r, d, p.snap.Extra[d.ID], active)
		}
		p.res.Stats.Evaluations++
		if e == nil && o != obsBad {
			continue
		}
		p.step(r, di, "", e, o, v)
	}
}

func (p *pass) evalInterfaces(r *Rule) {
	idx, all := p.scopes.devices(r.Scope)
	byDev := p.interfaces()
	n := len(idx)
	if all {
		n = len(p.snap.Devices)
	}
	hasStates := p.perRule[r.ID] > 0
	for j := 0; j < n; j++ {
		di := int32(j)
		if !all {
			di = idx[j]
		}
		d := &p.snap.Devices[di]
		stale := !d.SNMP || !d.SNMPOK
		for _, f := range byDev[d.ID] {
			e, active := p.lookup(hasStates, Key{RuleID: r.ID, DeviceID: d.ID, Subject: f.Name})
			o, v := obsNone, math.NaN()
			if !r.Scope.Interfaces.Matches(f) {
				if e == nil {
					continue
				}
				// out of scope now (the scope was edited, the alias changed): it recovers
				o, v = obsGood, math.NaN()
			} else if !stale {
				o, v = observeInterface(r, f, active)
			}
			p.res.Stats.Evaluations++
			if e == nil && o != obsBad {
				continue
			}
			p.step(r, di, f.Name, e, o, v)
		}
	}
}

// interfaces groups the snapshot's interfaces by device, once per pass.
func (p *pass) interfaces() map[int64][]*Interface {
	if p.ifByDev != nil {
		return p.ifByDev
	}
	ifs := p.snap.Interfaces
	if !slices.IsSortedFunc(ifs, cmpIf) {
		ifs = slices.Clone(ifs)
		slices.SortFunc(ifs, cmpIf)
	}
	m := make(map[int64][]*Interface, len(p.snap.Devices))
	for i := range ifs {
		f := &ifs[i]
		m[f.DeviceID] = append(m[f.DeviceID], f)
	}
	p.ifByDev = m
	return m
}

func cmpIf(a, b Interface) int {
	if c := cmp.Compare(a.DeviceID, b.DeviceID); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

func (p *pass) evalSystem(r *Rule) {
	k := Key{RuleID: r.ID, Subject: r.Metric}
	e, active := p.lookup(p.perRule[r.ID] > 0, k)
	v, ok := p.snap.System[r.Metric]
	o := obsNone
	if ok {
		o = judge(r, v, active)
	} else {
		v = math.NaN()
	}
	p.res.Stats.Evaluations++
	if e == nil && o != obsBad {
		return
	}
	p.step(r, -1, r.Metric, e, o, v)
}
