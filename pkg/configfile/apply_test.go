package configfile_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/configfile"
)

// TestRoundTrip applies the full fixture, exports, applies the export to an empty database
// and exports again: the two exports are the same bytes, and applying either a second time
// changes nothing.
func TestRoundTrip(t *testing.T) {
	ctx := t.Context()
	a, _ := newService(t)
	res := apply(t, ctx, a, "full.yaml", readFixture(t, "full.yaml"), configfile.Options{})
	// 2 regions, 2 profiles, 2 branches, 3 devices, 2 rules, 2 channels, 2 windows, 2 jobs, 3 users
	if diff := cmp.Diff(configfile.Summary{Create: 20}, res.Summary); diff != "" {
		t.Fatalf("first apply (-want +got):\n%s", diff)
	}
	first := export(t, ctx, a)
	t.Logf("export:\n%s", first)
	again := apply(t, ctx, a, "full.yaml", readFixture(t, "full.yaml"), configfile.Options{})
	if len(again.Changes) != 0 {
		t.Fatalf("second apply of the fixture changed %+v", again.Changes)
	}
	if again := apply(t, ctx, a, "export.yaml", first, configfile.Options{}); len(again.Changes) != 0 {
		t.Fatalf("apply of the export changed %+v", again.Changes)
	}

	b, _ := newService(t)
	apply(t, ctx, b, "export.yaml", first, configfile.Options{})
	second := export(t, ctx, b)
	if diff := cmp.Diff(string(first), string(second)); diff != "" {
		t.Fatalf("export → apply to an empty database → export differs (-first +second):\n%s", diff)
	}
	if again := apply(t, ctx, b, "export.yaml", second, configfile.Options{}); len(again.Changes) != 0 {
		t.Fatalf("second apply of the export changed %+v", again.Changes)
	}
	for _, want := range []string{"${env:WARDOPS_CHANNEL_NOC_MAIL_PASSWORD}", "ip: 127.0.0.12", "interval: 45s",
		"community: ${env:WARDOPS_PROFILE_ATM_SLOW_COMMUNITY}", "auth_password: ${env:WARDOPS_PROFILE_CORE_V3_AUTH_PASSWORD}",
		"priv_password: ${env:WARDOPS_PROFILE_CORE_V3_PRIV_PASSWORD}", "oid: 1.3.6.1.4.1.12356.101.4.1.8.0", "retries: 0",
		"community: ${env:WARDOPS_DEVICE_OLTEN_RTR_01_COMMUNITY}"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("export lacks %q:\n%s", want, first)
		}
	}
	for _, secret := range []string{"hmac-one", "smtp-pass", "atm-community", "core-auth-pass", "core-priv-pass", "rtr-community"} {
		if strings.Contains(string(first), secret) {
			t.Fatalf("export holds the secret %q in clear", secret)
		}
	}
}
