package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestWritesAuditedWithBeforeAndAfter: each write of each object kind leaves one audit row
// named after the object and verb, with the object before (absent for a create) and after
// (absent for a delete) as JSON, and no secret written anywhere (communities, v3 auth and priv
// passwords, a webhook's URL password, query token, header values and HMAC secret).
func TestWritesAuditedWithBeforeAndAfter(t *testing.T) {
	sys := startAPI(t)
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	snmpSvc, err := snmp.New(snmp.Params{Devices: sys.Store, Store: sys.Store, Secrets: box})
	testenv.Must(t, "snmp service", err)
	srv := api.New(api.Params{Store: sys.Store, Redis: sys.Redis, Client: sys.Client, Auth: sys.Auth, Logger: sys.Logger, SNMP: snmpSvc, ProfileSNMP: snmpSvc,
		Alerting: &api.Alerting{
			Alerts: alert.NewService(alert.ServiceParams{Rules: sys.Store, Acks: sys.Store, Enqueuer: sys.Client,
				RuleCache: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis)}),
			Channels: notify.NewService(notify.ServiceParams{Channels: sys.Store, Deliveries: sys.Store, Sealer: box,
				Policy: notifytest.AllowLoopback(), Logger: sys.Logger}),
		}})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	checkContract(t, hs.URL)
	base := hs.URL
	ids := map[string]string{}
	do := func(t *testing.T, method, path, body string, want int) string {
		t.Helper()
		for k, v := range ids {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		code, out := as(t, base, sys.Token, method, path, body)
		if code != want {
			t.Fatalf("%s %s: HTTP %d %s, want %d", method, path, code, out, want)
		}
		return out
	}
	secretsWritten := []string{"COMM-s3cret", "AUTH-s3cret", "PRIV-s3cret", "Pa55-W0rd", "TOK-123456", "HDR-abcdef", "CUSTOM-hdr", "HMAC-abcdef"}
	cases := []struct {
		action, method, path, body string
		status                     int
		idKey                      string // the created object's id is kept under this key
		before, after              bool   // the audit row has a before / after document
		changed                    string // a text the after document holds and the before does not
	}{
		{"region.create", "POST", "/api/v1/regions", `{"name":"aud-east"}`, 201, "reg", false, true, "aud-east"},
		{"region.update", "PATCH", "/api/v1/regions/{reg}", `{"description":"the east"}`, 200, "", true, true, "the east"},
		{"branch.create", "POST", "/api/v1/branches", `{"name":"BR-9","region":"aud-east"}`, 201, "br", false, true, "BR-9"},
		{"branch.update", "PATCH", "/api/v1/branches/{br}", `{"isp":"Kazakhtelecom"}`, 200, "", true, true, "Kazakhtelecom"},
		{"profile.create", "POST", "/api/v1/profiles", `{"name":"aud-prof","snmp":{"credentials":{"version":"2c","community":"COMM-s3cret"}}}`, 201, "prof", false, true, "aud-prof"},
		{"profile.update", "PATCH", "/api/v1/profiles/{prof}", `{"ping_count":5}`, 200, "", true, true, "5"},
		{"device.create", "POST", "/api/v1/devices", `{"name":"aud-1","ip":"127.63.0.1","snmp":{"version":"2c","community":"COMM-s3cret"}}`, 201, "dev", false, true, "aud-1"},
		{"device.update", "PATCH", "/api/v1/devices/{dev}", `{"branch":"BR-9"}`, 200, "", true, true, "BR-9"},
		{"device.snmp.put", "PUT", "/api/v1/devices/{dev}/snmp", `{"version":"3","username":"mon","security_level":"authPriv","auth_protocol":"SHA","auth_password":"AUTH-s3cret","priv_protocol":"AES","priv_password":"PRIV-s3cret"}`, 200, "", true, true, "authPriv"},
		{"device.snmp.delete", "DELETE", "/api/v1/devices/{dev}/snmp", "", 204, "", true, false, ""},
		{"rule.create", "POST", "/api/v1/rules", `{"name":"aud rule","kind":"ping_loss_pct","threshold":50,"severity":"minor"}`, 201, "rule", false, true, "aud rule"},
		{"rule.update", "PATCH", "/api/v1/rules/{rule}", `{"threshold":60}`, 200, "", true, true, "60"},
		{"channel.create", "POST", "/api/v1/channels", `{"name":"aud-hook","type":"webhook","config":{"url":"http://noc:Pa55-W0rd@127.0.0.1:9/h?token=TOK-123456","headers":{"Authorization":"Bearer HDR-abcdef","X-Custom":"CUSTOM-hdr"}},"secrets":{"hmac_secret":"HMAC-abcdef"}}`, 201, "ch", false, true, "aud-hook"},
		{"channel.update", "PATCH", "/api/v1/channels/{ch}", `{"name":"aud-hook-2"}`, 200, "", true, true, "aud-hook-2"},
		{"window.create", "POST", "/api/v1/maintenance", `{"name":"aud win","kind":"once","starts_at":"2030-01-01T00:00:00Z","ends_at":"2030-01-01T02:00:00Z","targets":{"devices":[{dev}]}}`, 201, "win", false, true, "aud win"},
		{"window.update", "PUT", "/api/v1/maintenance/{win}", `{"name":"aud win 2","kind":"once","starts_at":"2030-01-01T00:00:00Z","ends_at":"2030-01-01T03:00:00Z","targets":{"devices":[{dev}]}}`, 200, "", true, true, "aud win 2"},
		{"window.delete", "DELETE", "/api/v1/maintenance/{win}", "", 204, "", true, false, ""},
		{"channel.delete", "DELETE", "/api/v1/channels/{ch}", "", 204, "", true, false, ""},
		{"rule.delete", "DELETE", "/api/v1/rules/{rule}", "", 204, "", true, false, ""},
		{"alert.ack", "POST", "/api/v1/alerts/{alert}/ack", `{"comment":"on it"}`, 200, "", true, true, "on it"},
		{"alert.unack", "POST", "/api/v1/alerts/{alert}/unack", "", 200, "", true, true, ""},
		{"alert.close", "POST", "/api/v1/alerts/{alert}/close", `{"comment":"fixed by hand"}`, 200, "", true, true, "fixed by hand"},
		{"device.delete", "DELETE", "/api/v1/devices/{dev}", "", 204, "", true, false, ""},
		{"branch.delete", "DELETE", "/api/v1/branches/{br}", "", 204, "", true, false, ""},
		{"region.delete", "DELETE", "/api/v1/regions/{reg}", "", 204, "", true, false, ""},
		{"profile.delete", "DELETE", "/api/v1/profiles/{prof}", "", 204, "", true, false, ""},
	}
	var alertID int64
	testenv.Must(t, "firing alert", sys.Store.Pool().QueryRow(context.Background(), `INSERT INTO alerts (rule_id, rule_name, kind,
		severity, state, started_at, updated_at) VALUES (1, 'Device down', 'device_down', 'critical', 'firing', now(), now())
		RETURNING id`).Scan(&alertID))
	ids["alert"] = fmt.Sprint(alertID)
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			body := tc.body
			for k, v := range ids {
				body = strings.ReplaceAll(body, "{"+k+"}", v)
			}
			out := do(t, tc.method, tc.path, body, tc.status)
			if tc.idKey != "" {
				var v struct{ ID int64 }
				testenv.Must(t, "decode id", json.Unmarshal([]byte(out), &v))
				ids[tc.idKey] = fmt.Sprint(v.ID)
			}
			recs, _, err := sys.Store.ListAudit(context.Background(), store.AuditFilter{Action: tc.action})
			testenv.Must(t, "audit", err)
			if len(recs) != 1 {
				t.Fatalf("%d audit rows of %s, want 1", len(recs), tc.action)
			}
			r := recs[0]
			if (len(r.Before) > 0) != tc.before || (len(r.After) > 0) != tc.after {
				t.Errorf("before %s after %s; want before=%v after=%v", r.Before, r.After, tc.before, tc.after)
			}
			if tc.changed != "" && (!strings.Contains(string(r.After), tc.changed) || strings.Contains(string(r.Before), `"`+tc.changed+`"`)) {
				t.Errorf("after %s should hold %q where before %s does not", r.After, tc.changed, r.Before)
			}
		})
	}
	all, _, err := sys.Store.ListAudit(context.Background(), store.AuditFilter{Limit: 1000})
	testenv.Must(t, "all audit", err)
	for _, r := range all {
		text := string(r.Before) + string(r.After) + string(r.Detail)
		for _, sec := range secretsWritten {
			if strings.Contains(text, sec) {
				t.Errorf("audit %s holds the secret %q: %s", r.Action, sec, text)
			}
		}
	}
}
