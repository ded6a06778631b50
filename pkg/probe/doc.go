// Package probe sends ICMP echo requests and measures round-trip time, jitter and loss. It is
// the only package that opens raw sockets; the worker's ping handler calls it through a small
// interface so tests and benchmarks can swap engines.
//
// Engine (engine.go) is the production engine: one raw socket per address family for every
// target and caller, kernel filters so that only its own echo replies are queued, batched reads
// (recvmmsg) and per-call slot arrays instead of per-echo maps, channels and timers; socket.go
// holds its system calls. ProBing (probing.go) is pro-bing's socket-per-target engine, kept for
// comparison (WARDOPS_PING_ENGINE=probing, go tool task bench:ping -- -probing).
package probe
