package alert_test

import (
	"encoding/json"
	"net/netip"
)

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
