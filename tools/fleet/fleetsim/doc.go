// Package fleetsim builds and registers a simulated bank fleet for load tests: N devices on
// distinct loopback addresses (127.64.0.0/10, which the kernel answers) in 8 regions of
// branches of 20–50 devices, each branch router the parent of the devices behind it, and M of
// them SNMP agents served by snmpsim (scripts/snmp.sh, data from pkg/snmp/simdata). Every
// device it makes is named fleet-… and labelled fleet=sim, so that Remove deletes exactly
// those. `go tool task fleet` (tools/fleet) and `go tool task bench:pipeline`
// (tools/pipelinebench) use it.
package fleetsim
