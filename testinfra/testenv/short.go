package testenv

import (
	"os"
	"testing"

	"github.com/wardops/wardops/pkg/probe"
)

// SkipShort skips the test under `go test -short`, naming the service it needs. The short run
// (`go tool task test:short`) is the pure tests on a machine with only Go: no PostgreSQL, Redis,
// VictoriaMetrics, SNMP agents, slapd, chromium or root. Every helper here that reaches a
// service calls it first, so a test skips as soon as it asks for one; without -short such a
// test still fails when the service is missing, with a message saying how to start it.
func SkipShort(tb testing.TB, service string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("integration test: needs %s; skipped under -short (`go tool task test` runs it)", service)
	}
}

// RequireRoot skips under -short and otherwise fails unless the test runs as root (raw ICMP
// sockets, network namespaces); what names what needs it.
func RequireRoot(tb testing.TB, what string) {
	tb.Helper()
	SkipShort(tb, "root ("+what+")")
	if os.Geteuid() != 0 {
		tb.Fatalf("%s needs root (or CAP_NET_RAW/CAP_NET_ADMIN): run the tests as root, or with -short to skip it", what)
	}
}

// RequireICMP skips under -short and otherwise fails unless raw ICMP sockets can be opened
// (root or CAP_NET_RAW): the test pings for real.
func RequireICMP(tb testing.TB) {
	tb.Helper()
	SkipShort(tb, "raw ICMP sockets (root or CAP_NET_RAW)")
	if err := probe.CheckPermission(); err != nil {
		tb.Fatalf("this test pings for real and needs root or CAP_NET_RAW: %v", err)
	}
}
