package snmp

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gosnmp/gosnmp"
)

// toUint reads an unsigned numeric value (Counter32/64, Gauge32, TimeTicks, Integer ≥ 0).
func toUint(v gosnmp.SnmpPDU) (uint64, bool) {
	switch x := v.Value.(type) {
	case uint:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int:
		if x >= 0 {
			return uint64(x), true
		}
	case int64:
		if x >= 0 {
			return uint64(x), true
		}
	}
	return 0, false
}

// toFloat reads any numeric value, including a number written as a string (some vendors'
// CPU OIDs are DisplayStrings like "12.5").
func toFloat(v gosnmp.SnmpPDU) (float64, bool) {
	switch x := v.Value.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case []byte:
		f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// toString reads an OCTET STRING as text, replacing invalid UTF-8 and dropping NULs (agents
// pad names with them).
func toString(v gosnmp.SnmpPDU) string {
	b, ok := v.Value.([]byte)
	if !ok {
		return ""
	}
	s := strings.TrimRight(string(b), "\x00")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "")
}

func toOIDString(v gosnmp.SnmpPDU) string {
	s, ok := v.Value.(string)
	if !ok {
		return ""
	}
	return strings.TrimPrefix(s, ".")
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// ifAt returns the interface of a one-sub-identifier row index, creating it.
func ifAt(ifs map[uint32]*IfReading, idx OID) (*IfReading, bool) {
	if len(idx) != 1 {
		return nil, false
	}
	i, ok := ifs[idx[0]]
	if !ok {
		i = &IfReading{Index: idx[0]}
		ifs[idx[0]] = i
	}
	return i, true
}

// setIfColumn stores one ifTable/ifXTable cell.
func setIfColumn(ifs map[uint32]*IfReading, col int, idx OID, v gosnmp.SnmpPDU) {
	i, ok := ifAt(ifs, idx)
	if !ok {
		return
	}
	u, isNum := toUint(v)
	switch col {
	case colIfDescr:
		i.Descr = toString(v)
	case colIfName:
		i.Name = toString(v)
	case colIfAlias:
		i.Alias = toString(v)
	case colIfAdminStatus:
		i.AdminStatus = IfStatus(u)
	case colIfOperStatus:
		i.OperStatus = IfStatus(u)
	case colIfSpeed:
		if isNum && i.SpeedBps == 0 { // ifHighSpeed, when present, wins
			i.SpeedBps = u
		}
	case colIfHighSpeed:
		if isNum && u > 0 {
			i.SpeedBps = u * 1_000_000
		}
	case colIfCounterDiscontinuityTime:
		i.Discontinuity = uint32(u)
	}
	if !isNum {
		return
	}
	switch col {
	case colIfHCInOctets:
		i.InOctets = Counter{Value: u, Width: 64}
	case colIfHCOutOctets:
		i.OutOctets = Counter{Value: u, Width: 64}
	case colIfInErrors:
		i.InErrors = Counter{Value: u, Width: 32}
	case colIfOutErrors:
		i.OutErrors = Counter{Value: u, Width: 32}
	case colIfInDiscards:
		i.InDiscards = Counter{Value: u, Width: 32}
	case colIfOutDiscards:
		i.OutDiscards = Counter{Value: u, Width: 32}
	}
}

// hrTables collects HOST-RESOURCES-MIB processor loads and storage rows.
type hrTables struct {
	loads   []float64
	storage map[uint32]*hrStorage
}

type hrStorage struct {
	isRAM             bool
	units, size, used uint64
}

func (h *hrTables) set(col int, idx OID, v gosnmp.SnmpPDU) {
	if col == colHrProcessorLoad {
		if f, ok := toFloat(v); ok {
			h.loads = append(h.loads, f)
		}
		return
	}
	if len(idx) != 1 {
		return
	}
	if h.storage == nil {
		h.storage = map[uint32]*hrStorage{}
	}
	st, ok := h.storage[idx[0]]
	if !ok {
		st = &hrStorage{}
		h.storage[idx[0]] = st
	}
	u, _ := toUint(v)
	switch col {
	case colHrStorageType:
		o, err := ParseOID(toOIDString(v))
		st.isRAM = err == nil && o.Compare(oidHrStorageRAM) == 0
	case colHrStorageAllocationUnits:
		st.units = u
	case colHrStorageSize:
		st.size = u
	case colHrStorageUsed:
		st.used = u
	}
}

// cpu is the average load of all processors.
func (h *hrTables) cpu() *float64 {
	if len(h.loads) == 0 {
		return nil
	}
	sum := 0.0
	for _, l := range h.loads {
		sum += l
	}
	return ptr(clampPct(sum / float64(len(h.loads))))
}

// memory is used/size over the RAM storage rows.
func (h *hrTables) memory() *float64 {
	var size, used float64
	for _, st := range h.storage {
		if st.isRAM && st.size > 0 {
			size += float64(st.size) * float64(max(st.units, 1))
			used += float64(st.used) * float64(max(st.units, 1))
		}
	}
	if size == 0 {
		return nil
	}
	return ptr(clampPct(100 * used / size))
}

func clampPct(f float64) float64 { return min(max(f, 0), 100) }

func ptr[T any](v T) *T { return &v }

func splitExtra(extra []ExtraOID) (gets, walks []ExtraOID) {
	for _, e := range extra {
		if e.Agg == AggGet || e.Agg == "" {
			gets = append(gets, e)
		} else {
			walks = append(walks, e)
		}
	}
	return gets, walks
}

func extraRoots(walks []ExtraOID) []OID {
	roots := make([]OID, 0, len(walks))
	for _, e := range walks {
		o, err := ParseOID(e.OID)
		if err != nil {
			o = OID{0, 0} // validated before; an impossible root ends at once
		}
		roots = append(roots, o)
	}
	return roots
}

// aggregate combines the walked rows of each extra OID.
func aggregate(walks []ExtraOID, rows [][]float64) []ExtraValue {
	out := make([]ExtraValue, 0, len(walks))
	for i, e := range walks {
		v := ExtraValue{ExtraOID: e}
		if r := rows[i]; len(r) > 0 {
			v.OK = true
			switch e.Agg {
			case AggMax:
				v.Value = slices.Max(r)
			case AggMin:
				v.Value = slices.Min(r)
			default:
				for _, x := range r {
					v.Value += x
				}
				if e.Agg == AggAvg {
					v.Value /= float64(len(r))
				}
			}
			v.Value *= scaleOf(e)
		}
		out = append(out, v)
	}
	return out
}

func scaleOf(e ExtraOID) float64 {
	if e.Scale == 0 {
		return 1
	}
	return e.Scale
}

// applyExtraRoles lets the profile's cpu/memory OIDs override HOST-RESOURCES-MIB: a vendor
// OID is configured precisely because the standard one is missing or misleading.
func applyExtraRoles(r *Reading) {
	for _, e := range r.Extra {
		if !e.OK {
			continue
		}
		switch e.Role {
		case RoleCPU:
			r.CPUPercent = ptr(clampPct(e.Value))
		case RoleMemory:
			r.MemoryPercent = ptr(clampPct(e.Value))
		}
	}
}
