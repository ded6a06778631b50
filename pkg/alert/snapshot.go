package alert

import (
	"math"
	"time"

	"github.com/wardops/wardops/pkg/device"
)

// Snapshot is the latest monitoring state a pass evaluates. Missing numbers are NaN.
type Snapshot struct {
	// At is when the snapshot was taken.
	At time.Time
	// Devices are the enabled devices with their latest ping and SNMP state.
	Devices []Device
	// Extra holds the extra/vendor OID values of the last successful poll by device and name
	// (loaded only when an extra_oid rule is enabled).
	Extra map[int64]map[string]float64
	// Interfaces are the latest interface states, grouped by device (any order of devices).
	Interfaces []Interface
	// System holds the system metrics of a system pass (see SystemMetrics).
	System map[string]float64
}

// Device is one enabled device and its latest state.
type Device struct {
	ID       int64
	Name     string
	IP       string
	Branch   string
	Region   string
	Type     string
	Labels   map[string]string
	ParentID int64 // 0: none
	// Status is the observed ping status (up, down, degraded, unknown), also during maintenance.
	Status   device.Status
	LossPct  float64
	RTTMS    float64
	JitterMS float64
	// SNMP: the device is polled over SNMP; SNMPOK: its last poll answered.
	SNMP    bool
	SNMPOK  bool
	CPUPct  float64
	MemPct  float64
	UptimeS float64
}

// NewDevice returns a device with every number unknown (NaN) and status unknown.
func NewDevice(id int64, name string) Device {
	nan := math.NaN()
	return Device{ID: id, Name: name, Status: device.Unknown, LossPct: nan, RTTMS: nan, JitterMS: nan,
		CPUPct: nan, MemPct: nan, UptimeS: nan}
}

// Interface is the latest state of one interface. Rates are NaN when unknown.
type Interface struct {
	DeviceID int64
	Index    int
	// Name is the alert subject: ifName, else "ifIndex N".
	Name string
	// Alias is ifAlias; Role the interface's role (set, or derived from the alias; "" none).
	Alias   string
	Role    string
	AdminUp bool
	OperUp  bool
	// SeenUp: the interface has been oper up since it was discovered (if_down fires only then).
	SeenUp   bool
	SpeedBps float64
	InBps    float64
	OutBps   float64
	// ErrorsPS is in+out errors per second.
	ErrorsPS float64
}
