package snmp

import (
	"context"
	"slices"
	"sync"

	"github.com/gosnmp/gosnmp"
)

// fakeAgent is an in-memory SNMP agent implementing session: GET and GETBULK over a sorted
// MIB, with knobs to truncate answers, answer tooBig, or misbehave. It records each request.
type fakeAgent struct {
	mu   sync.Mutex
	mib  []gosnmp.SnmpPDU // sorted by OID
	oids []OID
	// maxVarbinds truncates GetBulk answers (0: no limit); tooBigAbove answers tooBig when
	// columns × repetitions exceeds it (0: never).
	maxVarbinds, tooBigAbove int
	// repeatFirst makes every GetBulk return the requested OID itself (a looping agent).
	repeatFirst bool
	err         error
	requests    []string
	varbinds    int // values returned by GetBulk
}

var _ session = (*fakeAgent)(nil)

func newFakeAgent(pdus ...gosnmp.SnmpPDU) *fakeAgent {
	a := &fakeAgent{}
	for _, p := range pdus {
		a.set(p)
	}
	return a
}

func (a *fakeAgent) set(p gosnmp.SnmpPDU) {
	o := MustOID(p.Name)
	i, found := slices.BinarySearchFunc(a.oids, o, func(x, y OID) int { return x.Compare(y) })
	if found {
		a.mib[i] = p
		return
	}
	a.oids = slices.Insert(a.oids, i, o)
	a.mib = slices.Insert(a.mib, i, p)
}

func (a *fakeAgent) Get(oids []string) (*gosnmp.SnmpPacket, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, "get")
	if a.err != nil {
		return nil, a.err
	}
	out := make([]gosnmp.SnmpPDU, 0, len(oids))
	for _, s := range oids {
		o := MustOID(s)
		i, found := slices.BinarySearchFunc(a.oids, o, func(x, y OID) int { return x.Compare(y) })
		if found {
			out = append(out, a.mib[i])
		} else {
			out = append(out, gosnmp.SnmpPDU{Name: s, Type: gosnmp.NoSuchObject})
		}
	}
	return &gosnmp.SnmpPacket{Variables: out}, nil
}

func (a *fakeAgent) next(o OID) gosnmp.SnmpPDU {
	i, found := slices.BinarySearchFunc(a.oids, o, func(x, y OID) int { return x.Compare(y) })
	if found {
		i++
	}
	if i >= len(a.mib) {
		return gosnmp.SnmpPDU{Name: o.dotted(), Type: gosnmp.EndOfMibView}
	}
	return a.mib[i]
}

func (a *fakeAgent) GetBulk(oids []string, _ uint8, maxRep uint32) (*gosnmp.SnmpPacket, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, "bulk")
	if a.err != nil {
		return nil, a.err
	}
	if a.tooBigAbove > 0 && len(oids)*int(maxRep) > a.tooBigAbove {
		return &gosnmp.SnmpPacket{Error: gosnmp.TooBig}, nil
	}
	cur := make([]OID, len(oids))
	for i, s := range oids {
		cur[i] = MustOID(s)
	}
	var out []gosnmp.SnmpPDU
	defer func() { a.varbinds += len(out) }()
	for r := 0; r < int(maxRep); r++ {
		for i := range cur {
			if a.maxVarbinds > 0 && len(out) >= a.maxVarbinds {
				return &gosnmp.SnmpPacket{Variables: out}, nil
			}
			if a.repeatFirst {
				out = append(out, gosnmp.SnmpPDU{Name: cur[i].dotted(), Type: gosnmp.Integer, Value: 1})
				continue
			}
			p := a.next(cur[i])
			out = append(out, p)
			if p.Type != gosnmp.EndOfMibView {
				cur[i] = MustOID(p.Name)
			}
		}
	}
	return &gosnmp.SnmpPacket{Variables: out}, nil
}

func (a *fakeAgent) Close() error { return nil }

func (a *fakeAgent) count(kind string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, r := range a.requests {
		if r == kind {
			n++
		}
	}
	return n
}

func (a *fakeAgent) dialer() dialer {
	return func(context.Context, Target) (session, error) { return a, nil }
}

// col is the OID text of a base column's row idx (".N"), from the poller's own table.
func col(c int, idx string) string { return baseColumns[c].String() + idx }

func pdu(oid string, typ gosnmp.Asn1BER, v any) gosnmp.SnmpPDU {
	return gosnmp.SnmpPDU{Name: "." + oid, Type: typ, Value: v}
}

// routerMIB builds a device with n interfaces (HC counters unless legacy), two CPUs at 10% and
// 30%, and RAM 25% used.
func routerMIB(n int, legacy bool, octets uint64) []gosnmp.SnmpPDU {
	p := []gosnmp.SnmpPDU{
		pdu("1.3.6.1.2.1.2.1.0", gosnmp.Integer, n),
		pdu("1.3.6.1.2.1.1.1.0", gosnmp.OctetString, []byte("Test router")),
		pdu("1.3.6.1.2.1.1.2.0", gosnmp.ObjectIdentifier, ".1.3.6.1.4.1.9.1.1"),
		pdu("1.3.6.1.2.1.1.3.0", gosnmp.TimeTicks, uint32(500000)),
		pdu("1.3.6.1.2.1.1.5.0", gosnmp.OctetString, []byte("r1")),
		pdu("1.3.6.1.2.1.25.3.3.1.2.196", gosnmp.Integer, 10),
		pdu("1.3.6.1.2.1.25.3.3.1.2.197", gosnmp.Integer, 30),
		pdu("1.3.6.1.2.1.25.2.3.1.2.1", gosnmp.ObjectIdentifier, ".1.3.6.1.2.1.25.2.1.2"),
		pdu("1.3.6.1.2.1.25.2.3.1.4.1", gosnmp.Integer, 1024),
		pdu("1.3.6.1.2.1.25.2.3.1.5.1", gosnmp.Integer, 1000),
		pdu("1.3.6.1.2.1.25.2.3.1.6.1", gosnmp.Integer, 250),
		pdu("1.3.6.1.2.1.25.2.3.1.2.31", gosnmp.ObjectIdentifier, ".1.3.6.1.2.1.25.2.1.4"),
		pdu("1.3.6.1.2.1.25.2.3.1.5.31", gosnmp.Integer, 1000),
		pdu("1.3.6.1.2.1.25.2.3.1.6.31", gosnmp.Integer, 999),
	}
	for i := 1; i <= n; i++ {
		idx := "." + itoa(uint64(i))
		p = append(p,
			pdu(col(colIfDescr, idx), gosnmp.OctetString, []byte("eth"+itoa(uint64(i)))),
			pdu(col(colIfSpeed, idx), gosnmp.Gauge32, uint(100_000_000)),
			pdu(col(colIfAdminStatus, idx), gosnmp.Integer, 1),
			pdu(col(colIfOperStatus, idx), gosnmp.Integer, 1),
			pdu(oidIfInOctets.String()+idx, gosnmp.Counter32, uint(octets%(1<<32))),
			pdu(col(colIfInErrors, idx), gosnmp.Counter32, uint(3)),
			pdu(oidIfOutOctets.String()+idx, gosnmp.Counter32, uint((2*octets)%(1<<32))),
			pdu(col(colIfOutErrors, idx), gosnmp.Counter32, uint(4)),
		)
		if !legacy {
			p = append(p,
				pdu(col(colIfName, idx), gosnmp.OctetString, []byte("e"+itoa(uint64(i)))),
				pdu(col(colIfHCInOctets, idx), gosnmp.Counter64, octets),
				pdu(col(colIfHCOutOctets, idx), gosnmp.Counter64, 2*octets),
				pdu(col(colIfHighSpeed, idx), gosnmp.Gauge32, uint(1000)),
			)
		}
	}
	return p
}
