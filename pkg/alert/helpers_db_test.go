package alert_test

import (
	"crypto/rand"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/wardops/wardops/pkg/secrets"
)

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func newSealer(t *testing.T) *secrets.Box {
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	b, err := secrets.New(key)
	if err != nil {
		t.Fatalf("secret box: %v", err)
	}
	return b
}
