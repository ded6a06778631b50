// Package simdata generates snmpsim data files (.snmprec), one per simulated device, for the
// demo fleet, the integration tests and the SNMP benchmark. Each device has a system group,
// an ifTable and ifXTable of ~20 interfaces whose octet and error counters move (snmpsim's
// "numeric" variation module), and HOST-RESOURCES-MIB processors and storage whose load and
// memory use oscillate. Every tenth device is "legacy": no ifXTable, so a poller must fall back
// to the 32-bit ifTable counters.
//
// snmpsimd serves the file <name>.snmprec to SNMPv2c requests whose community is <name>, so a
// device selects its simulated agent by its community and a target override pointing at the
// snmpsimd endpoint.
package simdata
