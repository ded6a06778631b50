package snmp

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// MaxExtraOIDs bounds the extra OIDs of one profile.
const MaxExtraOIDs = 64

// Role says what an extra OID's value means.
type Role string

// Roles of extra OIDs.
const (
	// RoleGauge (default) is written as wardops_snmp_extra{name=...}.
	RoleGauge Role = "gauge"
	// RoleCPU is a CPU load percentage; it takes precedence over HOST-RESOURCES-MIB.
	RoleCPU Role = "cpu"
	// RoleMemory is a memory use percentage; it takes precedence over HOST-RESOURCES-MIB.
	RoleMemory Role = "memory"
)

// Agg says how an extra OID is read.
type Agg string

// Aggregations of extra OIDs.
const (
	// AggGet (default) reads the OID as one instance (e.g. ...1.8.0) with GET.
	AggGet Agg = "get"
	// AggAvg, AggMax, AggMin and AggSum walk the OID as a table column and combine the rows
	// (e.g. the average of Cisco's per-CPU cpmCPUTotal5minRev).
	AggAvg Agg = "avg"
	AggMax Agg = "max"
	AggMin Agg = "min"
	AggSum Agg = "sum"
)

// ExtraOID is one vendor-specific value a profile asks for: data, not code.
type ExtraOID struct {
	// Name identifies the value: lower case letters, digits and _, starting with a letter.
	Name string `json:"name"`
	// OID is numeric and dotted, without a leading dot.
	OID string `json:"oid"`
	// Role is gauge (default), cpu or memory.
	Role Role `json:"role,omitempty"`
	// Agg is get (default), avg, max, min or sum.
	Agg Agg `json:"agg,omitempty"`
	// Scale multiplies the raw value (default 1), e.g. 0.01 for hundredths of a percent.
	Scale float64 `json:"scale,omitempty"`
}

var extraNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Normalize fills defaults and canonicalises the OID; it validates like Validate.
func (e ExtraOID) Normalize() (ExtraOID, error) {
	if !extraNameRE.MatchString(e.Name) {
		return e, fieldErr("name", "must be 1 to 64 of a-z, 0-9, _ starting with a letter, not %q", e.Name)
	}
	o, err := ParseOID(e.OID)
	if err != nil {
		return e, fieldErr("oid", "%v", err)
	}
	e.OID = o.String()
	if e.Role == "" {
		e.Role = RoleGauge
	}
	if e.Agg == "" {
		e.Agg = AggGet
	}
	switch e.Role {
	case RoleGauge, RoleCPU, RoleMemory:
	default:
		return e, fieldErr("role", "must be gauge, cpu or memory, not %q", e.Role)
	}
	switch e.Agg {
	case AggGet, AggAvg, AggMax, AggMin, AggSum:
	default:
		return e, fieldErr("agg", "must be get, avg, max, min or sum, not %q", e.Agg)
	}
	if e.Scale == 0 {
		e.Scale = 1
	}
	if math.IsNaN(e.Scale) || math.IsInf(e.Scale, 0) || e.Scale < 0 {
		return e, fieldErr("scale", "must be a positive number")
	}
	return e, nil
}

// NormalizeExtraOIDs validates a list (from JSON) and returns it normalised. Errors name the
// entry: "extra_oids[2].oid: ...". Names must be unique.
func NormalizeExtraOIDs(list []ExtraOID) ([]ExtraOID, error) {
	if len(list) > MaxExtraOIDs {
		return nil, fieldErr("extra_oids", "has %d entries, at most %d are allowed", len(list), MaxExtraOIDs)
	}
	out := make([]ExtraOID, 0, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		n, err := e.Normalize()
		if err != nil {
			var fe *FieldError
			errors.As(err, &fe)
			return nil, fieldErr(fmt.Sprintf("extra_oids[%d].%s", i, fe.Field), "%s", fe.Message)
		}
		if seen[n.Name] {
			return nil, fieldErr(fmt.Sprintf("extra_oids[%d].name", i), "duplicate name %q", n.Name)
		}
		seen[n.Name] = true
		out = append(out, n)
	}
	return out, nil
}

// ParseExtraOIDs parses the text form of a profile's extra OIDs: one entry per line (or
// separated by ';'), "name oid [role=cpu|memory|gauge] [agg=get|avg|max|min|sum] [scale=N]";
// blank lines and lines starting with '#' are ignored. Example:
//
//	# Juniper: average CPU over all components (jnxOperatingCPU)
//	juniper_cpu  1.3.6.1.4.1.2636.3.1.13.1.8  role=cpu agg=avg
//	fw_sessions 1.3.6.1.4.1.12356.101.4.1.8.0
//
// Errors name the line: "extra_oids line 2: ...".
func ParseExtraOIDs(text string) ([]ExtraOID, error) {
	var list []ExtraOID
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		for _, entry := range strings.Split(sc.Text(), ";") {
			entry = strings.TrimSpace(entry)
			if entry == "" || strings.HasPrefix(entry, "#") {
				continue
			}
			e, err := parseExtraEntry(entry)
			if err != nil {
				return nil, fieldErr(fmt.Sprintf("extra_oids line %d", line), "%v", err)
			}
			list = append(list, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fieldErr("extra_oids", "%v", err)
	}
	out, err := NormalizeExtraOIDs(list)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseExtraEntry(entry string) (ExtraOID, error) {
	f := strings.Fields(entry)
	if len(f) < 2 {
		return ExtraOID{}, errors.New(`want "name oid [role=..] [agg=..] [scale=..]"`)
	}
	e := ExtraOID{Name: f[0], OID: f[1]}
	for _, opt := range f[2:] {
		k, v, ok := strings.Cut(opt, "=")
		if !ok {
			return e, fmt.Errorf("option %q: want key=value", opt)
		}
		switch k {
		case "role":
			e.Role = Role(v)
		case "agg":
			e.Agg = Agg(v)
		case "scale":
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s <= 0 {
				return e, fmt.Errorf("scale %q: want a positive number", v)
			}
			e.Scale = s
		default:
			return e, fmt.Errorf("unknown option %q (role, agg, scale)", k)
		}
	}
	n, err := e.Normalize()
	if err != nil {
		return e, err
	}
	return n, nil
}

// FormatExtraOIDs writes a list in the text form ParseExtraOIDs reads.
func FormatExtraOIDs(list []ExtraOID) string {
	var b strings.Builder
	for _, e := range list {
		fmt.Fprintf(&b, "%s %s", e.Name, e.OID)
		if e.Role != "" && e.Role != RoleGauge {
			fmt.Fprintf(&b, " role=%s", e.Role)
		}
		if e.Agg != "" && e.Agg != AggGet {
			fmt.Fprintf(&b, " agg=%s", e.Agg)
		}
		if e.Scale != 0 && e.Scale != 1 {
			fmt.Fprintf(&b, " scale=%s", strconv.FormatFloat(e.Scale, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
