package snmp

// OIDs read by the poller (SNMPv2-MIB, IF-MIB, HOST-RESOURCES-MIB). They are constants in
// spirit: never modified.
var (
	oidSysDescr       = MustOID("1.3.6.1.2.1.1.1.0")
	oidSysObjectID    = MustOID("1.3.6.1.2.1.1.2.0")
	oidSysUpTime      = MustOID("1.3.6.1.2.1.1.3.0")
	oidSysName        = MustOID("1.3.6.1.2.1.1.5.0")
	oidHrSystemUptime = MustOID("1.3.6.1.2.1.25.1.1.0")
	oidIfNumber       = MustOID("1.3.6.1.2.1.2.1.0")

	oidHrStorageRAM = MustOID("1.3.6.1.2.1.25.2.1.2")
)

// Columns of the main walk, in the order of walkRoots. ifTable = 1.3.6.1.2.1.2.2.1,
// ifXTable = 1.3.6.1.2.1.31.1.1.1, hrStorageEntry = 1.3.6.1.2.1.25.2.3.1,
// hrProcessorLoad = 1.3.6.1.2.1.25.3.3.1.2.
const (
	colIfDescr = iota
	colIfSpeed
	colIfAdminStatus
	colIfOperStatus
	colIfInDiscards
	colIfInErrors
	colIfOutDiscards
	colIfOutErrors
	colIfName
	colIfHCInOctets
	colIfHCOutOctets
	colIfHighSpeed
	colIfAlias
	colIfCounterDiscontinuityTime
	colHrProcessorLoad
	colHrStorageType
	colHrStorageAllocationUnits
	colHrStorageSize
	colHrStorageUsed
	numBaseColumns
)

var baseColumns = [numBaseColumns]OID{
	colIfDescr:                    MustOID("1.3.6.1.2.1.2.2.1.2"),
	colIfSpeed:                    MustOID("1.3.6.1.2.1.2.2.1.5"),
	colIfAdminStatus:              MustOID("1.3.6.1.2.1.2.2.1.7"),
	colIfOperStatus:               MustOID("1.3.6.1.2.1.2.2.1.8"),
	colIfInDiscards:               MustOID("1.3.6.1.2.1.2.2.1.13"),
	colIfInErrors:                 MustOID("1.3.6.1.2.1.2.2.1.14"),
	colIfOutDiscards:              MustOID("1.3.6.1.2.1.2.2.1.19"),
	colIfOutErrors:                MustOID("1.3.6.1.2.1.2.2.1.20"),
	colIfName:                     MustOID("1.3.6.1.2.1.31.1.1.1.1"),
	colIfHCInOctets:               MustOID("1.3.6.1.2.1.31.1.1.1.6"),
	colIfHCOutOctets:              MustOID("1.3.6.1.2.1.31.1.1.1.10"),
	colIfHighSpeed:                MustOID("1.3.6.1.2.1.31.1.1.1.15"),
	colIfAlias:                    MustOID("1.3.6.1.2.1.31.1.1.1.18"),
	colIfCounterDiscontinuityTime: MustOID("1.3.6.1.2.1.31.1.1.1.19"),
	colHrProcessorLoad:            MustOID("1.3.6.1.2.1.25.3.3.1.2"),
	colHrStorageType:              MustOID("1.3.6.1.2.1.25.2.3.1.2"),
	colHrStorageAllocationUnits:   MustOID("1.3.6.1.2.1.25.2.3.1.4"),
	colHrStorageSize:              MustOID("1.3.6.1.2.1.25.2.3.1.5"),
	colHrStorageUsed:              MustOID("1.3.6.1.2.1.25.2.3.1.6"),
}

// 32-bit octet counters, walked only for interfaces without HC counters.
var (
	oidIfInOctets  = MustOID("1.3.6.1.2.1.2.2.1.10")
	oidIfOutOctets = MustOID("1.3.6.1.2.1.2.2.1.16")
)

// IfStatus is ifOperStatus / ifAdminStatus (IF-MIB).
type IfStatus int

// Interface status values.
const (
	IfUp             IfStatus = 1
	IfDown           IfStatus = 2
	IfTesting        IfStatus = 3
	IfUnknown        IfStatus = 4
	IfDormant        IfStatus = 5
	IfNotPresent     IfStatus = 6
	IfLowerLayerDown IfStatus = 7
)

// String is the IF-MIB name ("up", "down", "lowerLayerDown"...); "" for 0 (not read).
func (s IfStatus) String() string {
	switch s {
	case 0:
		return ""
	case IfUp:
		return "up"
	case IfDown:
		return "down"
	case IfTesting:
		return "testing"
	case IfUnknown:
		return "unknown"
	case IfDormant:
		return "dormant"
	case IfNotPresent:
		return "notPresent"
	case IfLowerLayerDown:
		return "lowerLayerDown"
	}
	return "unknown"
}

// ParseIfStatus is the inverse of String (unknown names give IfUnknown, "" gives 0).
func ParseIfStatus(s string) IfStatus {
	for v := IfUp; v <= IfLowerLayerDown; v++ {
		if v.String() == s {
			return v
		}
	}
	if s == "" {
		return 0
	}
	return IfUnknown
}
