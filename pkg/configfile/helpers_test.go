package configfile_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// testSecrets are what the fixtures' references resolve to.
var testSecrets = configfile.Resolver{
	LookupEnv: func(name string) (string, bool) {
		v, ok := map[string]string{"NOC_HOOK_HMAC": "hmac-one", "WARDOPS_CHANNEL_NOC_HOOK_HMAC_SECRET": "hmac-one",
			"WARDOPS_CHANNEL_NOC_MAIL_PASSWORD": "smtp-pass",
			"ATM_COMMUNITY":                     "atm-community", "SHORT_PASS": "short", "WARDOPS_PROFILE_ATM_SLOW_COMMUNITY": "atm-community",
			"WARDOPS_PROFILE_CORE_V3_AUTH_PASSWORD": "core-auth-pass", "WARDOPS_PROFILE_CORE_V3_PRIV_PASSWORD": "core-priv-pass",
			"RTR_COMMUNITY": "rtr-community", "WARDOPS_DEVICE_OLTEN_RTR_01_COMMUNITY": "rtr-community"}[name]
		return v, ok
	},
	ReadFile: func(path string) ([]byte, error) {
		switch path {
		case "/run/secrets/smtp":
			return []byte("smtp-pass\n"), nil
		case "/run/secrets/core-auth":
			return []byte("core-auth-pass\n"), nil
		}
		return nil, os.ErrNotExist
	},
}

// newService is a Service on a fresh migrated database.
func newService(t *testing.T) (*configfile.Service, *store.Store) {
	t.Helper()
	st := store.New(testenv.NewDB(t), 10*time.Second, nil)
	box, err := secrets.New(bytes.Repeat([]byte{7}, 32))
	testenv.Must(t, "secret box", err)
	return configfile.New(configfile.Params{Store: st, Sealer: box, SNMPSecrets: box, Resolver: testSecrets}), st
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	testenv.Must(t, "read fixture", err)
	return b
}

func parse(t *testing.T, name string, data []byte) *configfile.Document {
	t.Helper()
	doc, err := configfile.Parse(name, data)
	testenv.Must(t, "parse "+name, err)
	return doc
}

func apply(t *testing.T, ctx context.Context, svc *configfile.Service, name string, data []byte, opt configfile.Options) *configfile.Result {
	t.Helper()
	res, err := svc.Apply(ctx, parse(t, name, data), opt)
	var es configfile.Errors
	if errors.As(err, &es) {
		t.Fatalf("apply %s:\n%v", name, es)
	}
	testenv.Must(t, "apply "+name, err)
	return res
}

func export(t *testing.T, ctx context.Context, svc *configfile.Service) []byte {
	t.Helper()
	b, err := svc.Export(ctx)
	testenv.Must(t, "export", err)
	return b
}
