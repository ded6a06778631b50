package notifytest

import (
	"net/netip"

	"github.com/wardops/wardops/pkg/notify"
)

// AllowLoopback is the destination policy of tests whose receivers listen on loopback: the
// default policy denies 127.0.0.0/8, so they allow it explicitly, as
// WARDOPS_NOTIFY_ALLOW=127.0.0.0/8 would.
func AllowLoopback() *notify.DestinationPolicy {
	return notify.NewDestinationPolicy(notify.AllowList{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
}
