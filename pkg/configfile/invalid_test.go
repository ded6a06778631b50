package configfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestInvalid checks one fixture per validation rule: the exact "file:line: field: message"
// error, and that the database is left as it was.
func TestInvalid(t *testing.T) {
	svc, st := newService(t)
	ctx := t.Context()
	testenv.Must(t, "seed the ping job", st.SeedSchedule(ctx, []store.ScheduleEntry{{TaskType: tasks.TypePingCycle, Interval: 30 * time.Second, Enabled: true}}))
	before := export(t, ctx, svc)
	cases := map[string]string{
		"alias":                          "alias.yaml:3: regions[0]: anchors and aliases are not supported: write the value out\nalias.yaml:5: regions[1]: anchors and aliases are not supported: write the value out",
		"bad_ip":                         "bad_ip.yaml:4: devices[0].ip: \"127.0.0.300\" is not an IPv4 or IPv6 address",
		"bad_label":                      "bad_label.yaml:5: devices[0].labels: label key \"bad key\" must match ^[A-Za-z_][A-Za-z0-9_.\\-/]{0,62}$",
		"bad_version":                    "bad_version.yaml:1: version: must be 1",
		"branch_latitude_alone":          "branch_latitude_alone.yaml:4: branches[0].latitude: latitude and longitude go together: give both or neither",
		"branch_region_missing":          "branch_region_missing.yaml:4: branches[0].region: region \"Nord\" does not exist (neither in the file nor in the database)",
		"branch_time_zone":               "branch_time_zone.yaml:4: branches[0].time_zone: \"Europe/Olten\" is not an IANA time zone name (e.g. Europe/Zurich, UTC)",
		"channel_email_host":             "channel_email_host.yaml:5: channels[0].config.host: is required for an email channel",
		"channel_secret_clear":           "channel_secret_clear.yaml:8: channels[0].secrets.hmac_secret: secrets are given by reference only: ${env:NAME} or ${file:/path}, never in clear",
		"channel_secret_unknown":         "channel_secret_unknown.yaml:8: channels[0].secrets.api_key: unknown secret (known: bot_token, hmac_secret, password, webhook_url)",
		"channel_secret_unset":           "channel_secret_unset.yaml:8: channels[0].secrets.hmac_secret: environment variable NOT_SET_ANYWHERE is not set",
		"channel_type":                   "channel_type.yaml:4: channels[0].type: must be webhook, email, slack or telegram",
		"channel_url_credentials":        "channel_url_credentials.yaml:6: channels[0].config.url: credentials and query are secrets: set them through the API (they are kept as stored)",
		"device_branch_missing":          "device_branch_missing.yaml:7: devices[0].branch: branch \"Oltne\" does not exist (neither in the file nor in the database)",
		"device_parent_missing":          "device_parent_missing.yaml:5: devices[0].parent: device \"core-01\" does not exist (neither in the file nor in the database)",
		"device_parent_self":             "device_parent_self.yaml:5: devices[0].parent: a device cannot be its own parent",
		"device_profile_missing":         "device_profile_missing.yaml:5: devices[0].profile: profile \"fast\" does not exist (neither in the file nor in the database)",
		"duplicate_key":                  "duplicate_key.yaml:4: regions[0].name: given twice",
		"duplicate_name":                 "duplicate_name.yaml:5: regions[2].name: \"North\" is given twice (first at regions[0])",
		"empty":                          "empty.yaml:1: the file is empty: it needs at least version: 1",
		"ip_not_canonical":               "ip_not_canonical.yaml:4: devices[0].ip: write the address as 127.0.0.2",
		"missing_required":               "missing_required.yaml:3: devices[0].ip: is required",
		"name_spaces":                    "name_spaces.yaml:3: regions[0].name: has leading or trailing spaces",
		"no_version":                     "no_version.yaml:1: version: is required",
		"not_a_list":                     "not_a_list.yaml:3: regions: must be a list",
		"parent_loop":                    "parent_loop.yaml:5: devices[0].parent: parent loop: a → b → a",
		"profile_cycle":                  "profile_cycle.yaml:6: profiles[0].ping_timeout_ms: a ping of profile \"satellite\" would take 30s (timeout 30s + 0 × 10ms spacing), not less than the ping interval of 30s: shorten the timeout, count or spacing, or lengthen the interval first",
		"device_snmp_secret_clear":       "device_snmp_secret_clear.yaml:7: devices[0].snmp.community: secrets are given by reference only: ${env:NAME} or ${file:/path}, never in clear",
		"device_snmp_version":            "device_snmp_version.yaml:6: devices[0].snmp.version: must be 2c or 3, not \"1\"",
		"profile_snmp_auth_protocol":     "profile_snmp_auth_protocol.yaml:8: profiles[0].snmp.auth_protocol: must be one of SHA, SHA-224, SHA-256, SHA-384, SHA-512, not \"MD5\"",
		"profile_snmp_community_missing": "profile_snmp_community_missing.yaml:4: profiles[0].snmp.community: is required for SNMPv2c",
		"profile_snmp_extra_oid":         "profile_snmp_extra_oid.yaml:9: profiles[0].snmp.extra_oids[1].oid: not a numeric OID: \"iso.org.dod\"",
		"profile_snmp_passphrase":        "profile_snmp_passphrase.yaml:11: profiles[0].snmp.priv_password: must be at least 8 characters",
		"profile_snmp_secret_clear":      "profile_snmp_secret_clear.yaml:6: profiles[0].snmp.community: secrets are given by reference only: ${env:NAME} or ${file:/path}, never in clear",
		"profile_snmp_secret_unset":      "profile_snmp_secret_unset.yaml:6: profiles[0].snmp.community: environment variable NOT_SET_ANYWHERE is not set",
		"profile_snmp_timeout":           "profile_snmp_timeout.yaml:7: profiles[0].snmp.timeout_ms: must be between 100 and 60000",
		"profile_snmp_version":           "profile_snmp_version.yaml:5: profiles[0].snmp.version: must be 2c or 3, not \"1\"",
		"profile_range":                  "profile_range.yaml:4: profiles[0].ping_count: must be from 1 to 20 echo requests",
		"rule_kind":                      "rule_kind.yaml:4: rules[0].kind: unknown kind \"device_gone\"",
		"rule_scope_device":              "rule_scope_device.yaml:6: rules[0].scope.devices[0]: device \"ghost\" does not exist (neither in the file nor in the database)",
		"rule_severity":                  "rule_severity.yaml:5: rules[0].severity: must be critical, major, minor or warning",
		"schedule_interval":              "schedule_interval.yaml:4: schedule[0].interval: \"3 days\" is not a duration (30s, 5m, 1h)",
		"schedule_cycle":                 "schedule_cycle.yaml:10: schedule[0].interval: interval of cycle:ping must be longer than one cycle can take (8s, profile \"slow-wan\": timeout 4s + 4 × 1s spacing): at least 9s",
		"schedule_range":                 "schedule_range.yaml:4: schedule[0].interval: interval of cycle:ping must be from 1s to 1h",
		"schedule_task":                  "schedule_task.yaml:3: schedule[0].task: unknown periodic job \"cycle:dance\"",
		"syntax":                         "syntax.yaml:2: YAML syntax: did not find expected '-' indicator",
		"unknown_field":                  "unknown_field.yaml:5: devices[0].colour: unknown field (known: branch, enabled, ip, labels, name, parent, profile, snmp, type, vendor)",
		"unknown_top":                    "unknown_top.yaml:2: switches: unknown field (known: branches, channels, devices, maintenance, profiles, regions, rules, schedule, users, version)",
		"user_admin_scoped":              "user_admin_scoped.yaml:7: users[0].scope_regions: an admin is never scoped: leave scope_regions and scope_branches out",
		"user_role":                      "user_role.yaml:4: users[0].role: must be viewer, operator or admin",
		"user_scope_missing":             "user_scope_missing.yaml:5: users[0].scope_branches[0]: branch \"Atlantis\" does not exist (neither in the file nor in the database)",
		"window_kind":                    "window_kind.yaml:4: maintenance[0].kind: must be \"once\" or \"weekly\"",
		"window_time":                    "window_time.yaml:5: maintenance[0].starts_at: \"tomorrow\" is not an RFC 3339 time (2026-12-24T22:00:00Z)",
		"wrong_type":                     "wrong_type.yaml:4: profiles[0].ping_count: must be an integer, not \"many\"",
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if _, ok := cases[name]; !ok && os.Getenv("CONFIGFILE_PRINT") == "" {
			t.Errorf("fixture %s has no case", name)
		}
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file := name + ".yaml"
			doc, err := configfile.Parse(file, data)
			if err == nil {
				_, err = svc.Apply(ctx, doc, configfile.Options{})
			}
			var es configfile.Errors
			if !errors.As(err, &es) {
				t.Fatalf("want configfile.Errors, got %v", err)
			}
			if os.Getenv("CONFIGFILE_PRINT") != "" {
				t.Logf("%q: %q,", name, es.Error())
				return
			}
			if diff := cmp.Diff(cases[name], es.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	if after := export(t, ctx, svc); string(after) != string(before) {
		t.Errorf("a refused file changed the database:\n%s", cmp.Diff(string(before), string(after)))
	}
}
