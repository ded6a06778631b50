package snmp

import (
	"context"
	"slices"
	"time"

	"github.com/gosnmp/gosnmp"
)

// Counter is one counter value with the width it was read at: 32 or 64 bits, 0 when the
// agent did not return it.
type Counter struct {
	Value uint64 `json:"value"`
	Width uint8  `json:"width"`
}

// IfReading is one interface as read by one poll (raw counters, no rates).
type IfReading struct {
	Index       uint32   `json:"if_index"`
	Name        string   `json:"name"`
	Alias       string   `json:"alias"`
	Descr       string   `json:"descr"`
	AdminStatus IfStatus `json:"-"`
	OperStatus  IfStatus `json:"-"`
	// SpeedBps is ifHighSpeed × 10^6 when the agent has it, else ifSpeed.
	SpeedBps    uint64  `json:"speed_bps"`
	InOctets    Counter `json:"in_octets"`
	OutOctets   Counter `json:"out_octets"`
	InErrors    Counter `json:"in_errors"`
	OutErrors   Counter `json:"out_errors"`
	InDiscards  Counter `json:"in_discards"`
	OutDiscards Counter `json:"out_discards"`
	// Discontinuity is ifCounterDiscontinuityTime (TimeTicks); a change means the counters
	// were reset without a reboot.
	Discontinuity uint32 `json:"discontinuity_ticks"`
}

// Label is the interface name used in series labels and events: ifName, else ifDescr, else
// "if<index>".
func (r IfReading) Label() string {
	switch {
	case r.Name != "":
		return r.Name
	case r.Descr != "":
		return r.Descr
	}
	return "if" + itoa(uint64(r.Index))
}

// ExtraValue is the value of one extra OID of the profile.
type ExtraValue struct {
	ExtraOID
	// Value is the scaled value; OK is false when the agent had no such object.
	Value float64 `json:"value"`
	OK    bool    `json:"ok"`
}

// Reading is everything one poll read from one device.
type Reading struct {
	// At is when the interface counters were read (the end of the walk).
	At time.Time
	// Duration is the time the whole poll took; Requests the number of round trips.
	Duration time.Duration
	Requests int

	SysName, SysDescr, SysObjectID string
	// SysUpTime is sysUpTime in hundredths of a second (the agent's uptime).
	SysUpTime uint32
	// HostUpTime is hrSystemUptime (the host's uptime), when HasHostUpTime.
	HostUpTime    uint32
	HasHostUpTime bool

	// CPUPercent is the average hrProcessorLoad, or the profile's cpu OID; nil if neither.
	CPUPercent *float64
	// MemoryPercent is hrStorageRam used/size, or the profile's memory OID; nil if neither.
	MemoryPercent *float64

	Interfaces []IfReading
	Extra      []ExtraValue

	ifNumber int // sizes the interface walk
}

// Uptime is the uptime used for reboot detection, in hundredths of a second, and its source:
// hrSystemUptime when the agent has it (restarting only the SNMP daemon does not reset it),
// else sysUpTime.
func (r *Reading) Uptime() (ticks uint32, source string) {
	if r.HasHostUpTime {
		return r.HostUpTime, "hrSystemUptime"
	}
	return r.SysUpTime, "sysUpTime"
}

// Poller reads devices. It holds no connection: every Poll opens its own GoSNMP value (gosnmp
// is not safe for parallel use), so one Poller serves any number of goroutines.
type Poller struct {
	dial dialer
	now  func() time.Time
}

// NewPoller returns a Poller using gosnmp over UDP.
func NewPoller() *Poller { return &Poller{dial: dialGoSNMP, now: time.Now} }

// Poll reads one device: the system group, ifTable/ifXTable, HOST-RESOURCES-MIB CPU and
// memory, and the extra OIDs. The first request tells whether the agent answers, so a dead
// agent costs one timeout × (retries+1) and nothing more. Errors are *Error.
func (p *Poller) Poll(ctx context.Context, t Target, extra []ExtraOID) (*Reading, error) {
	start := p.now()
	s, err := p.dial(ctx, t)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	r := &Reading{}
	gets, walks := splitExtra(extra)
	if err := p.readSystem(s, t, r, gets); err != nil {
		return nil, err
	}
	ifs := map[uint32]*IfReading{}
	hr := &hrTables{}
	extraRows := make([][]float64, len(walks))
	roots := append(baseColumns[:], extraRoots(walks)...)
	plan := walkPlan{roots: roots, maxRep: t.Settings.MaxRepetitions, expectRows: r.ifNumber}
	n, err := walkColumns(ctx, s, t, plan, func(col int, idx OID, v gosnmp.SnmpPDU) {
		switch {
		case col < colHrProcessorLoad:
			setIfColumn(ifs, col, idx, v)
		case col < numBaseColumns:
			hr.set(col, idx, v)
		default:
			if f, ok := toFloat(v); ok {
				extraRows[col-numBaseColumns] = append(extraRows[col-numBaseColumns], f)
			}
		}
	})
	r.Requests += n
	if err != nil {
		return nil, err
	}
	if err := p.readLegacyOctets(ctx, s, t, ifs, r); err != nil {
		return nil, err
	}
	r.At = p.now()
	r.Interfaces = sortedInterfaces(ifs)
	r.CPUPercent, r.MemoryPercent = hr.cpu(), hr.memory()
	r.Extra = append(r.Extra, aggregate(walks, extraRows)...)
	applyExtraRoles(r)
	r.Duration = r.At.Sub(start)
	return r, nil
}

// readSystem GETs the system group and the extra "get" OIDs in one request.
func (p *Poller) readSystem(s session, t Target, r *Reading, gets []ExtraOID) error {
	oids := []string{oidSysDescr.dotted(), oidSysObjectID.dotted(), oidSysUpTime.dotted(), oidSysName.dotted(),
		oidHrSystemUptime.dotted(), oidIfNumber.dotted()}
	for _, e := range gets {
		oids = append(oids, "."+e.OID)
	}
	vals := make([]gosnmp.SnmpPDU, 0, len(oids))
	for chunk := range slices.Chunk(oids, gosnmp.MaxOids) {
		pkt, err := s.Get(chunk)
		r.Requests++
		if err != nil {
			return classify(err, t)
		}
		if pkt.Error != gosnmp.NoError {
			return agentError(pkt.Error, pkt.ErrorIndex, t)
		}
		vals = append(vals, pkt.Variables...)
	}
	if len(vals) != len(oids) {
		return &Error{Kind: KindProtocol, Detail: "agent " + t.Address() + " answered a GET with the wrong number of values"}
	}
	r.SysDescr = toString(vals[0])
	r.SysObjectID = toOIDString(vals[1])
	up, _ := toUint(vals[2])
	r.SysUpTime = uint32(up)
	r.SysName = toString(vals[3])
	if up, ok := toUint(vals[4]); ok {
		r.HostUpTime, r.HasHostUpTime = uint32(up), true
	}
	if n, ok := toUint(vals[5]); ok && n < 1<<20 {
		r.ifNumber = int(n)
	}
	for i, e := range gets {
		f, ok := toFloat(vals[6+i])
		r.Extra = append(r.Extra, ExtraValue{ExtraOID: e, Value: f * scaleOf(e), OK: ok})
	}
	return nil
}

// readLegacyOctets walks the 32-bit octet counters when some interface has no HC counters
// (agents without ifXTable, or interfaces the agent leaves out of it).
func (p *Poller) readLegacyOctets(ctx context.Context, s session, t Target, ifs map[uint32]*IfReading, r *Reading) error {
	need := false
	for _, i := range ifs {
		if i.InOctets.Width == 0 || i.OutOctets.Width == 0 {
			need = true
			break
		}
	}
	if !need {
		return nil
	}
	plan := walkPlan{roots: []OID{oidIfInOctets, oidIfOutOctets}, maxRep: t.Settings.MaxRepetitions, expectRows: len(ifs)}
	n, err := walkColumns(ctx, s, t, plan, func(col int, idx OID, v gosnmp.SnmpPDU) {
		i, ok := ifAt(ifs, idx)
		if !ok {
			return
		}
		u, ok := toUint(v)
		if !ok {
			return
		}
		c := &i.InOctets
		if col == 1 {
			c = &i.OutOctets
		}
		if c.Width == 0 {
			*c = Counter{Value: u, Width: 32}
		}
	})
	r.Requests += n
	return err
}

func sortedInterfaces(ifs map[uint32]*IfReading) []IfReading {
	out := make([]IfReading, 0, len(ifs))
	for _, i := range ifs {
		out = append(out, *i)
	}
	slices.SortFunc(out, func(a, b IfReading) int { return int(int64(a.Index) - int64(b.Index)) })
	return out
}
