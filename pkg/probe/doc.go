// Package probe sends ICMP echo requests and measures round-trip time, jitter and loss. It is
// the only package that opens raw sockets; the worker's ping handler calls it through a small
// interface so tests and benchmarks can swap engines.
package probe
