package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/auth/authtest"
	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/notify/notifytest"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/harness"
	"github.com/wardops/wardops/testinfra/testenv"
)

// configAPI serves the harness's store with every route cmd/api has that a configuration
// touches: SNMP credentials (sealed), alerting and channels, and configuration as code with
// the same sealer, as cmd/api wires them.
func configAPI(t *testing.T, sys *harness.System) string {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	box, err := secrets.New(key)
	testenv.Must(t, "secret box", err)
	snmpSvc, err := snmp.New(snmp.Params{Devices: sys.Store, Store: sys.Store, Secrets: box})
	testenv.Must(t, "snmp service", err)
	srv := api.New(api.Params{Store: sys.Store, Redis: sys.Redis, Client: sys.Client, Auth: sys.Auth, Logger: sys.Logger,
		SNMP: snmpSvc, ProfileSNMP: snmpSvc,
		Alerting: &api.Alerting{
			Alerts: alert.NewService(alert.ServiceParams{Rules: sys.Store, Acks: sys.Store, Enqueuer: sys.Client,
				RuleCache: alert.NewRuleCache(sys.Redis, sys.Store.EnabledAlertRules), Publisher: events.NewPublisher(sys.Redis)}),
			Channels: notify.NewService(notify.ServiceParams{Channels: sys.Store, Deliveries: sys.Store, Sealer: box,
				Policy: notifytest.AllowLoopback(), Logger: sys.Logger}),
		},
		Config: configfile.New(configfile.Params{Store: sys.Store, Sealer: box, SNMPSecrets: box, Policy: notifytest.AllowLoopback(), Logger: sys.Logger}),
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	checkContract(t, hs.URL)
	return hs.URL
}

// raw sends body with contentType as token and returns status, content type and body.
func raw(t *testing.T, base, token, method, path, contentType, body string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	testenv.Must(t, "build request", err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	testenv.Must(t, method+" "+path, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	testenv.Must(t, "read answer", err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

// applyAnswer is the body of a successful apply.
type applyAnswer struct {
	File    string `json:"file"`
	DryRun  bool   `json:"dry_run"`
	Changes []struct {
		Kind, Name, Op string
		Fields         []struct{ Field string }
	} `json:"changes"`
	Summary configfile.Summary `json:"summary"`
}

// configErrors is the body of a refused file.
type configErrors struct {
	Error struct {
		Code, Message, Field string
	} `json:"error"`
	Errors []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// the secrets the test writes through the API and the file: none may come back in clear.
var configSecrets = []string{"COMM-s3cret", "PCOMM-s3cret", "Pa55-W0rd", "TOK-123456", "HDR-abcdef", "HMAC-abcdef", "FILE-hmac-v4lue"}

const configFile = `version: 1
regions:
  - name: cfg-north
branches:
  - name: cfg-olten
    region: cfg-north
    isp: Swisscom
devices:
  - name: cfg-rtr-01
    ip: 127.0.0.21
    branch: cfg-olten
    type: router
  - name: cfg-atm-01
    ip: 127.0.0.22
    branch: cfg-olten
    type: atm
    parent: cfg-rtr-01
channels:
  - name: cfg-hook
    type: webhook
    config: {url: "http://127.0.0.1:9/cfg"}
    secrets: {hmac_secret: "${env:CFG_HOOK_HMAC}"}
schedule:
  - task: cycle:ping
    interval: 45s
`

// TestConfigAPI: configuration as code over HTTP on a real database — export is admin-only
// YAML with secrets as references; dry run diffs and changes nothing; apply changes the
// database, is audited with the summary and before/after per object (secrets redacted), and a
// second apply (of the file, or of the export) changes nothing; a refused file is 400 with
// file:line: field: message errors and changes nothing; the schema is valid JSON Schema that
// the export satisfies.
func TestConfigAPI(t *testing.T) {
	sys := startAPI(t)
	base := configAPI(t, sys)
	ctx := context.Background()
	t.Setenv("CFG_HOOK_HMAC", "FILE-hmac-v4lue")
	admin := sys.Token
	testenv.Must(t, "seed schedule", sys.Store.SeedSchedule(ctx, []store.ScheduleEntry{
		{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true}}))
	seedConfigObjects(t, base, admin)
	// tokens make users, which are part of the file: made before the first export
	others := map[auth.Role]string{}
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator} {
		others[role] = authtest.Token(t, sys.Auth, role)
	}

	export := func(t *testing.T) string {
		t.Helper()
		code, ct, body := raw(t, base, admin, http.MethodGet, "/api/v1/config", "", "")
		if code != http.StatusOK || !strings.HasPrefix(ct, "application/yaml") {
			t.Fatalf("export: HTTP %d %s %s", code, ct, body)
		}
		return string(body)
	}
	apply := func(t *testing.T, query, file string) (int, []byte) {
		t.Helper()
		code, _, body := raw(t, base, admin, http.MethodPost, "/api/v1/config/apply"+query, "application/yaml", file)
		return code, body
	}
	auditCount := func(t *testing.T) int {
		t.Helper()
		recs, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Limit: 1000})
		testenv.Must(t, "audit", err)
		return len(recs)
	}

	first := export(t)
	t.Run("export", func(t *testing.T) {
		for _, want := range []string{"name: cfg-seed-01", "ip: 127.0.0.20", "name: cfg-seed-prof", "name: cfg-seed-hook",
			"hmac_secret: ${env:WARDOPS_CHANNEL_CFG_SEED_HOOK_HMAC_SECRET}", "community: ${env:WARDOPS_PROFILE_CFG_SEED_PROF_COMMUNITY}",
			"community: ${env:WARDOPS_DEVICE_CFG_SEED_01_COMMUNITY}"} {
			if !strings.Contains(first, want) {
				t.Errorf("export lacks %q:\n%s", want, first)
			}
		}
		for _, sec := range configSecrets {
			if strings.Contains(first, sec) {
				t.Errorf("export holds the secret %q:\n%s", sec, first)
			}
		}
	})

	t.Run("roles", func(t *testing.T) {
		for role, tok := range others {
			if code, _, body := raw(t, base, tok, http.MethodGet, "/api/v1/config", "", ""); code != http.StatusForbidden {
				t.Errorf("%s export: HTTP %d %s, want 403", role, code, body)
			}
			if code, _, body := raw(t, base, tok, http.MethodPost, "/api/v1/config/apply", "application/yaml", configFile); code != http.StatusForbidden {
				t.Errorf("%s apply: HTTP %d %s, want 403", role, code, body)
			}
		}
		if export(t) != first {
			t.Error("a refused apply changed the configuration")
		}
	})

	t.Run("dry run", func(t *testing.T) {
		n := auditCount(t)
		code, body := apply(t, "?dry_run=1", configFile)
		var res applyAnswer
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil {
			t.Fatalf("dry run: HTTP %d %s", code, body)
		}
		if !res.DryRun || res.Summary != (configfile.Summary{Create: 5, Update: 1}) {
			t.Errorf("dry run answer %s, want dry_run, 5 creates (region, branch, 2 devices, channel) and 1 update (schedule)", body)
		}
		if got := export(t); got != first {
			t.Errorf("dry run changed the configuration:\n%s", got)
		}
		if got := auditCount(t); got != n {
			t.Errorf("dry run wrote %d audit rows", got-n)
		}
	})

	t.Run("apply", func(t *testing.T) {
		code, body := apply(t, "", configFile)
		var res applyAnswer
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res.DryRun || res.Summary != (configfile.Summary{Create: 5, Update: 1}) {
			t.Fatalf("apply: HTTP %d %s", code, body)
		}
		ds, err := sys.Store.DevicesByName(ctx, []string{"cfg-atm-01"})
		testenv.Must(t, "applied device", err)
		if len(ds) != 1 {
			t.Fatalf("applied devices %+v", ds)
		}
		if d := ds[0]; d.Branch != "cfg-olten" || d.Region != "cfg-north" || d.ParentID == nil {
			t.Errorf("applied device %+v", d)
		}
		recs, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Action: "config.apply"})
		testenv.Must(t, "audit", err)
		if len(recs) != 1 || recs[0].ActorName == "" {
			t.Fatalf("config.apply audit rows %+v", recs)
		}
		var detail struct {
			File    string
			Summary configfile.Summary
		}
		testenv.Must(t, "config.apply detail", json.Unmarshal(recs[0].Detail, &detail))
		if detail.File != "wardops.yaml" || detail.Summary != (configfile.Summary{Create: 5, Update: 1}) {
			t.Errorf("config.apply detail %s", recs[0].Detail)
		}
		dev, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Action: "device.create"})
		testenv.Must(t, "device audit", err)
		var fromFile int
		for _, r := range dev {
			if strings.Contains(string(r.Detail), "config.apply") && strings.Contains(string(r.After), "cfg-atm-01") {
				fromFile++
			}
		}
		if fromFile != 1 {
			t.Errorf("%d device.create rows from the apply for cfg-atm-01, want 1", fromFile)
		}
		sched, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Action: "schedule.update"})
		testenv.Must(t, "schedule audit", err)
		if len(sched) != 1 || !strings.Contains(string(sched[0].Before), "30s") || !strings.Contains(string(sched[0].After), "45s") {
			t.Errorf("schedule.update rows %+v", sched)
		}

		code, body = apply(t, "", configFile)
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Changes) != 0 || res.Summary != (configfile.Summary{}) {
			t.Errorf("second apply: HTTP %d %s, want no change", code, body)
		}
		// the export names each stored secret by a variable of its own; with them set to the
		// stored values, applying the export changes nothing
		now := export(t)
		t.Setenv("WARDOPS_CHANNEL_CFG_HOOK_HMAC_SECRET", "FILE-hmac-v4lue")
		t.Setenv("WARDOPS_CHANNEL_CFG_SEED_HOOK_HMAC_SECRET", "HMAC-abcdef")
		t.Setenv("WARDOPS_PROFILE_CFG_SEED_PROF_COMMUNITY", "PCOMM-s3cret")
		t.Setenv("WARDOPS_DEVICE_CFG_SEED_01_COMMUNITY", "COMM-s3cret")
		code, body = apply(t, "", now)
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Changes) != 0 {
			t.Errorf("applying the export: HTTP %d %s, want no change", code, body)
		}
		if again := export(t); again != now {
			t.Errorf("export → apply → export differs:\n%s\n---\n%s", now, again)
		}
		// an edit of the seeded webhook through the file keeps the URL credentials and header
		// that the file cannot hold
		before := channelSecretsSet(t, base, admin, "cfg-seed-hook")
		edited := strings.Replace(now, "  - name: cfg-seed-hook\n", "  - name: cfg-seed-hook\n    severities: [critical]\n", 1)
		code, body = apply(t, "", edited)
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || res.Summary != (configfile.Summary{Update: 1}) {
			t.Errorf("severity edit: HTTP %d %s, want one update", code, body)
		}
		if after := channelSecretsSet(t, base, admin, "cfg-seed-hook"); strings.Join(after, ",") != strings.Join(before, ",") || len(before) < 3 {
			t.Errorf("secrets set before the edit %v, after %v", before, after)
		}
	})

	t.Run("refused file", func(t *testing.T) {
		before, n := export(t), auditCount(t)
		bad := "version: 1\nregions:\n  - name: cfg-south\ndevices:\n  - name: cfg-new-01\n    ip: 127.0.0.30\n    branch: Nowhere\n" +
			"  - name: cfg-new-02\n    ip: 127.0.0.300\n"
		code, body := apply(t, "?file=site.yaml", bad)
		var es configErrors
		if code != http.StatusBadRequest || json.Unmarshal(body, &es) != nil {
			t.Fatalf("bad file: HTTP %d %s", code, body)
		}
		want := `site.yaml:7: devices[0].branch: branch "Nowhere" does not exist (neither in the file nor in the database)`
		if es.Error.Code != "invalid_config" || es.Error.Message != want || es.Error.Field != "devices[0].branch" {
			t.Errorf("error %+v, want message %q", es.Error, want)
		}
		if len(es.Errors) != 2 || es.Errors[0].Line != 7 || es.Errors[1].Line != 9 || es.Errors[1].Field != "devices[1].ip" ||
			es.Errors[1].File != "site.yaml" || es.Errors[1].Message == "" {
			t.Errorf("errors %+v, want line 7 devices[0].branch and line 9 devices[1].ip", es.Errors)
		}
		// a file every check passes whose write fails: a parent cycle the store refuses
		cycle := "version: 1\nregions:\n  - name: cfg-south\ndevices:\n  - name: cfg-rtr-01\n    ip: 127.0.0.21\n    branch: cfg-olten\n" +
			"    type: router\n    parent: cfg-atm-01\n"
		code, body = apply(t, "", cycle)
		if code != http.StatusBadRequest || json.Unmarshal(body, &es) != nil || !strings.HasPrefix(es.Error.Message, "wardops.yaml:") {
			t.Errorf("parent cycle: HTTP %d %s, want 400 with the line", code, body)
		}
		if got := export(t); got != before {
			t.Errorf("a refused file changed the configuration:\n%s", got)
		}
		if got := auditCount(t); got != n {
			t.Errorf("a refused file wrote %d audit rows", got-n)
		}
	})

	t.Run("audit redacted", func(t *testing.T) {
		all, _, err := sys.Store.ListAudit(ctx, store.AuditFilter{Limit: 1000})
		testenv.Must(t, "audit", err)
		for _, r := range all {
			text := string(r.Before) + string(r.After) + string(r.Detail)
			for _, sec := range configSecrets {
				if strings.Contains(text, sec) {
					t.Errorf("audit %s holds the secret %q: %s", r.Action, sec, text)
				}
			}
		}
	})

	t.Run("schema", func(t *testing.T) {
		code, ct, body := raw(t, base, others[auth.RoleViewer], http.MethodGet, "/api/v1/config/schema.json", "", "")
		if code != http.StatusOK || ct != "application/schema+json" {
			t.Fatalf("schema: HTTP %d %s", code, ct)
		}
		schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		testenv.Must(t, "schema is JSON", err)
		c := jsonschema.NewCompiler()
		testenv.Must(t, "add schema", c.AddResource("wardops.schema.json", schema))
		sch, err := c.Compile("wardops.schema.json") // validates it against its metaschema
		testenv.Must(t, "compile schema", err)
		for name, file := range map[string]string{"the export": export(t), "the applied file": configFile} {
			var v any
			testenv.Must(t, "parse "+name, yaml.Unmarshal([]byte(file), &v))
			j, err := json.Marshal(v)
			testenv.Must(t, "JSON of "+name, err)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
			testenv.Must(t, "instance", err)
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s breaks the schema: %v", name, err)
			}
		}
		var bad any
		testenv.Must(t, "bad instance", json.Unmarshal([]byte(`{"version":1,"devices":[{"name":"a","colour":"red"}]}`), &bad))
		if err := sch.Validate(bad); err == nil {
			t.Error("the schema accepts a device without ip and with an unknown key")
		}
	})
}

// seedConfigObjects writes, through the API, objects with secrets: a profile with a community,
// a device with a community, a webhook with URL credentials, a token, a header and an HMAC
// secret; and the schedule's ping job.
func seedConfigObjects(t *testing.T, base, admin string) {
	t.Helper()
	for _, c := range []struct{ path, body string }{
		{"/api/v1/profiles", `{"name":"cfg-seed-prof","snmp":{"credentials":{"version":"2c","community":"PCOMM-s3cret"}}}`},
		{"/api/v1/devices", `{"name":"cfg-seed-01","ip":"127.0.0.20","snmp":{"version":"2c","community":"COMM-s3cret"}}`},
		{"/api/v1/channels", `{"name":"cfg-seed-hook","type":"webhook","config":{"url":"http://noc:Pa55-W0rd@127.0.0.1:9/h?token=TOK-123456",
			"headers":{"Authorization":"Bearer HDR-abcdef"}},"secrets":{"hmac_secret":"HMAC-abcdef"}}`},
	} {
		if code, body := as(t, base, admin, http.MethodPost, c.path, c.body); code != http.StatusCreated {
			t.Fatalf("seed %s: HTTP %d %s", c.path, code, body)
		}
	}
}

// channelSecretsSet is the names of the secrets a channel has, as the API lists them.
func channelSecretsSet(t *testing.T, base, token, name string) []string {
	t.Helper()
	code, body := as(t, base, token, http.MethodGet, "/api/v1/channels", "")
	var list struct {
		Channels []struct {
			Name       string   `json:"name"`
			SecretsSet []string `json:"secrets_set"`
		} `json:"channels"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("list channels: HTTP %d %s", code, body)
	}
	for _, c := range list.Channels {
		if c.Name == name {
			return c.SecretsSet
		}
	}
	t.Fatalf("no channel %q in %s", name, body)
	return nil
}
