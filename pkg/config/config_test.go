package config_test

import (
	"bufio"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/notify"
)

// env is a Getenv over a map, the way the binaries see os.LookupEnv.
func env(m map[string]string) config.Getenv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func defaultCommon(maxConns int) config.Common {
	return config.Common{
		DatabaseURL:     config.DefaultDatabaseURL,
		DBMaxConns:      maxConns,
		QueryTimeout:    config.DefaultQueryTimeout,
		RedisURL:        config.DefaultRedisURL,
		VMURL:           config.DefaultVMURL,
		LogLevel:        "info",
		LogFormat:       "text",
		SpoolMaxSamples: config.DefaultSpoolMaxSamples,
	}
}

func defaultPing() config.Ping {
	return config.Ping{Interval: config.DefaultPingInterval, Count: config.DefaultPingCount,
		Timeout: config.DefaultPingTimeout, Spacing: config.DefaultPingSpacing, BatchSize: config.DefaultPingBatchSize, Engine: "shared"}
}

func defaultSNMP() config.SNMP {
	return config.SNMP{Interval: config.DefaultSNMPInterval, BatchSize: config.DefaultSNMPBatchSize}
}

// TestDefaultsAreTheDocumentedConstants loads each binary's config from an empty environment
// and from one whose variables are all blank: both must give exactly the Default* constants
// (the values the README documents) and the figures.
func TestDefaultsAreTheDocumentedConstants(t *testing.T) {
	// the issue fixes these figures; the constants must not drift from them
	figures := []struct {
		name      string
		got, want any
	}{
		{"http addr", config.DefaultHTTPAddr, ":5001"},
		{"ping interval", config.DefaultPingInterval, 30 * time.Second},
		{"ping count", config.DefaultPingCount, 3},
		{"ping timeout", config.DefaultPingTimeout, time.Second},
		{"ping spacing", config.DefaultPingSpacing, 10 * time.Millisecond},
		{"concurrency", config.DefaultConcurrency, 50},
		{"queue priorities", config.DefaultQueuePriorities, "critical=6,default=3,notify=3,low=1"},
	}
	for _, f := range figures {
		if diff := cmp.Diff(f.want, f.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", f.name, diff)
		}
	}

	blank := map[string]string{}
	for _, k := range allVars {
		blank[k] = "  "
	}
	for _, envName := range []string{"empty", "blank"} {
		get := env(map[string]string{})
		if envName == "blank" {
			get = env(blank)
		}
		t.Run(envName+"/api", func(t *testing.T) {
			got, err := config.LoadAPI(get)
			if err != nil {
				t.Fatalf("LoadAPI: %v", err)
			}
			want := config.API{Common: defaultCommon(config.DefaultAPIMaxConns), Ping: defaultPing(), SNMP: defaultSNMP(),
				HTTPAddr: config.DefaultHTTPAddr, MigrateOnStart: true, MinWorkers: config.DefaultMinWorkers,
				DiskPath: config.DefaultDiskPath, ShutdownTimeout: config.DefaultShutdownTimeout,
				SessionIdle: config.DefaultSessionIdle, SessionAbsolute: config.DefaultSessionAbsolute,
				Streams: config.Streams{MaxLife: config.DefaultSSEMaxLife, MaxPerUser: config.DefaultSSEMaxPerUser,
					MaxStreams: config.DefaultSSEMaxStreams}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("LoadAPI defaults (-want +got):\n%s", diff)
			}
		})
		t.Run(envName+"/worker", func(t *testing.T) {
			got, err := config.LoadWorker(get)
			if err != nil {
				t.Fatalf("LoadWorker: %v", err)
			}
			want := config.Worker{Common: defaultCommon(config.DefaultWorkerMaxConns), Ping: defaultPing(), SNMP: defaultSNMP(),
				Concurrency: config.DefaultConcurrency, MetricsAddr: config.DefaultWorkerMetricsAddr,
				Queues:          map[string]int{"critical": 6, "default": 3, "notify": 3, "low": 1},
				ShutdownTimeout: config.DefaultShutdownTimeout}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("LoadWorker defaults (-want +got):\n%s", diff)
			}
		})
		t.Run(envName+"/scheduler", func(t *testing.T) {
			got, err := config.LoadScheduler(get)
			if err != nil {
				t.Fatalf("LoadScheduler: %v", err)
			}
			want := config.Scheduler{Common: defaultCommon(config.DefaultSchedulerMaxConns), Ping: defaultPing(), SNMP: defaultSNMP(),
				LeaderTTL: config.DefaultLeaderTTL, SNMPEnabled: true, MetricsAddr: config.DefaultSchedMetricsAddr}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("LoadScheduler defaults (-want +got):\n%s", diff)
			}
		})
	}
}

// allVars is every variable the three loaders read.
var allVars = []string{
	"WARDOPS_DATABASE_URL", "WARDOPS_DB_MAX_CONNS", "WARDOPS_QUERY_TIMEOUT", "WARDOPS_REDIS_URL", "WARDOPS_VM_URL",
	"WARDOPS_LOG_LEVEL", "WARDOPS_LOG_FORMAT", "WARDOPS_SECRET_KEY", "WARDOPS_METRICS_PUSH_URL",
	"WARDOPS_PING_INTERVAL", "WARDOPS_PING_COUNT", "WARDOPS_PING_TIMEOUT", "WARDOPS_PING_SPACING", "WARDOPS_PING_BATCH_SIZE",
	"WARDOPS_PING_ENGINE", "WARDOPS_SNMP_INTERVAL", "WARDOPS_SNMP_BATCH_SIZE", "WARDOPS_HTTP_ADDR", "WARDOPS_MIGRATE_ON_START",
	"WARDOPS_HEALTH_MIN_WORKERS", "WARDOPS_DISK_PATH", "WARDOPS_ADMIN_PASSWORD", "WARDOPS_SHUTDOWN_TIMEOUT",
	"WARDOPS_WORKER_CONCURRENCY", "WARDOPS_QUEUE_PRIORITIES", "WARDOPS_METRICS_ADDR", "WARDOPS_LEADER_TTL",
	"WARDOPS_SNMP_ENABLED", "WARDOPS_PPROF", "WARDOPS_LDAP_URL", "WARDOPS_LDAP_STARTTLS", "WARDOPS_LDAP_CA_FILE",
	"WARDOPS_LDAP_BIND_DN", "WARDOPS_LDAP_BIND_PASSWORD", "WARDOPS_LDAP_BIND_PASSWORD_FILE", "WARDOPS_LDAP_USER_BASE",
	"WARDOPS_LDAP_USER_FILTER", "WARDOPS_LDAP_GROUP_BASE", "WARDOPS_LDAP_GROUP_FILTER", "WARDOPS_LDAP_GROUP_DEPTH",
	"WARDOPS_LDAP_GROUPS", "WARDOPS_LDAP_GROUPS_FILE", "WARDOPS_LDAP_REFRESH", "WARDOPS_LDAP_TIMEOUT",
	"WARDOPS_REQUIRE_TOTP_ADMINS", "WARDOPS_NOTIFY_ALLOW",
	"WARDOPS_OIDC_ISSUER", "WARDOPS_OIDC_CLIENT_ID", "WARDOPS_OIDC_CLIENT_SECRET", "WARDOPS_OIDC_CLIENT_SECRET_FILE",
	"WARDOPS_OIDC_REDIRECT_URL", "WARDOPS_OIDC_SCOPES", "WARDOPS_OIDC_ROLE_CLAIM", "WARDOPS_OIDC_USERNAME_CLAIM",
	"WARDOPS_OIDC_ROLES",
	"WARDOPS_SNMP_ENABLED", "WARDOPS_PPROF", "WARDOPS_SSE_MAX_LIFE", "WARDOPS_SSE_MAX_PER_USER", "WARDOPS_SSE_MAX_STREAMS",
}

// TestValuesAreRead sets every variable to a valid non-default value and checks that each
// lands in its field (trimmed, log level case-folded).
func TestValuesAreRead(t *testing.T) {
	m := map[string]string{
		"WARDOPS_DATABASE_URL":           "postgresql://postgres@127.0.0.1:5433/other",
		"WARDOPS_DB_MAX_CONNS":           " 80 ",
		"WARDOPS_QUERY_TIMEOUT":          "3s",
		"WARDOPS_REDIS_URL":              "redis-sentinel://127.0.0.1:26379/2?master=mymaster",
		"WARDOPS_VM_URL":                 "https://127.0.0.1:8429",
		"WARDOPS_LOG_LEVEL":              "DEBUG",
		"WARDOPS_LOG_FORMAT":             "json",
		"WARDOPS_SECRET_KEY":             "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"WARDOPS_METRICS_PUSH_URL":       "http://127.0.0.1:8428/api/v1/import/prometheus",
		"WARDOPS_TSDB_SPOOL_MAX_SAMPLES": "5000",
		"WARDOPS_PING_INTERVAL":          "10s",
		"WARDOPS_PING_COUNT":             "5",
		"WARDOPS_PING_TIMEOUT":           "2s",
		"WARDOPS_PING_SPACING":           "20ms",
		"WARDOPS_PING_BATCH_SIZE":        "250",
		"WARDOPS_PING_ENGINE":            "probing",
		"WARDOPS_WORKER_CONCURRENCY":     "120",
		"WARDOPS_QUEUE_PRIORITIES":       " critical = 9 , low=2 ",
		"WARDOPS_METRICS_ADDR":           "off",
		"WARDOPS_SHUTDOWN_TIMEOUT":       "40s",
		"WARDOPS_PPROF":                  "true",
		"WARDOPS_NOTIFY_ALLOW":           " 127.0.0.1:9000, 10.200.20.0/24 ,hooks.NOC.internal.,::1 ",
	}
	got, err := config.LoadWorker(env(m))
	if err != nil {
		t.Fatalf("LoadWorker: %v", err)
	}
	want := config.Worker{
		Common: config.Common{DatabaseURL: "postgresql://postgres@127.0.0.1:5433/other", DBMaxConns: 80, QueryTimeout: 3 * time.Second,
			RedisURL: "redis-sentinel://127.0.0.1:26379/2?master=mymaster", VMURL: "https://127.0.0.1:8429", LogLevel: "debug",
			LogFormat: "json", SecretKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", MetricsPushURL: "http://127.0.0.1:8428/api/v1/import/prometheus", SpoolMaxSamples: 5000},
		Ping:        config.Ping{Interval: 10 * time.Second, Count: 5, Timeout: 2 * time.Second, Spacing: 20 * time.Millisecond, BatchSize: 250, Engine: "probing"},
		SNMP:        defaultSNMP(),
		Concurrency: 120, Queues: map[string]int{"critical": 9, "low": 2}, MetricsAddr: "off", ShutdownTimeout: 40 * time.Second, Pprof: true,
		NotifyAllow: notify.AllowList{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.200.20.0/24"), netip.MustParsePrefix("::1/128")},
			Hosts: []notify.HostPort{{Host: "127.0.0.1", Port: 9000}, {Host: "hooks.noc.internal"}}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("LoadWorker (-want +got):\n%s", diff)
	}
}

// loaders maps a fixture's binary to its loader, reduced to the error.
var loaders = map[string]func(config.Getenv) error{
	"api":       func(g config.Getenv) error { _, err := config.LoadAPI(g); return err },
	"worker":    func(g config.Getenv) error { _, err := config.LoadWorker(g); return err },
	"scheduler": func(g config.Getenv) error { _, err := config.LoadScheduler(g); return err },
}

// TestBadConfigFixtures loads each testdata/bad_*.env (one rule per file) with the binary that
// reads the variable, and asserts the exact error, which must name the variable.
func TestBadConfigFixtures(t *testing.T) {
	cases := []struct {
		file   string
		binary string
		want   string
	}{
		{"bad_integer.env", "worker", `WARDOPS_WORKER_CONCURRENCY="fifty": not an integer`},
		{"bad_integer_range.env", "api", `WARDOPS_PING_COUNT="21": must be between 1 and 20`},
		{"bad_duration.env", "scheduler", `WARDOPS_PING_INTERVAL="30": not a duration (use e.g. 30s, 5m)`},
		{"bad_duration_range.env", "scheduler", `WARDOPS_PING_INTERVAL="500ms": must be between 1s and 1h0m0s`},
		{"bad_ping_spacing.env", "worker", `WARDOPS_PING_SPACING="5ms": must be between 10ms and 10s`},
		{"bad_ping_timeout_vs_interval.env", "worker", `WARDOPS_PING_TIMEOUT="1s": timeout plus 2 spacings must be shorter than WARDOPS_PING_INTERVAL (1s)`},
		{"bad_ping_engine.env", "worker", `WARDOPS_PING_ENGINE="fping": must be one of shared, probing`},
		{"bad_boolean.env", "api", `WARDOPS_MIGRATE_ON_START="yes": not a boolean (true/false)`},
		{"bad_database_url.env", "api", `WARDOPS_DATABASE_URL="wardops": not a URL with a host`},
		{"bad_database_url_scheme.env", "worker", `WARDOPS_DATABASE_URL="mysql://127.0.0.1:3306/wardops": scheme must be one of postgres, postgresql`},
		{"bad_redis_url_scheme.env", "scheduler", `WARDOPS_REDIS_URL="http://127.0.0.1:6379/0": scheme must be one of redis, rediss, redis-sentinel`},
		{"bad_secret_key.env", "worker", `WARDOPS_SECRET_KEY: secret key must be 32 bytes, written as base64 (44 characters) or hex (64 characters)`},
		{"bad_tls_pair.env", "api", `WARDOPS_TLS_KEY_FILE: is required with its pair: set both WARDOPS_TLS_CERT_FILE and WARDOPS_TLS_KEY_FILE, or neither`},
		{"bad_notify_allow.env", "worker", `WARDOPS_NOTIFY_ALLOW="10.200.20.0/24,10.200.2.0/33": "10.200.2.0/33" is not a CIDR, an address or host[:port]`},
		{"bad_trusted_proxies.env", "api", `WARDOPS_TRUSTED_PROXIES="127.0.0.1,proxy.local": "proxy.local" is not an address or CIDR`},
		{"bad_session_idle.env", "api", `WARDOPS_SESSION_IDLE="24h0m0s": must not exceed WARDOPS_SESSION_ABSOLUTE`},
		{"bad_vm_url_scheme.env", "api", `WARDOPS_VM_URL="ftp://127.0.0.1:8428": scheme must be one of http, https`},
		{"bad_log_level.env", "api", `WARDOPS_LOG_LEVEL="verbose": must be one of debug, info, warn, error`},
		{"bad_log_format.env", "worker", `WARDOPS_LOG_FORMAT="xml": must be one of text, json`},
		{"bad_db_max_conns.env", "api", `WARDOPS_DB_MAX_CONNS="1": must be between 2 and 1000`},
		{"bad_db_conns_for_concurrency.env", "worker", `WARDOPS_DB_MAX_CONNS="20": too small for WARDOPS_WORKER_CONCURRENCY=100 (need at least half of it)`},
		{"bad_query_timeout.env", "scheduler", `WARDOPS_QUERY_TIMEOUT="10ms": must be between 100ms and 10m0s`},
		{"bad_queue_priorities.env", "worker", `WARDOPS_QUEUE_PRIORITIES="critical=high,default=3": "critical=high" is not queue=priority with a priority from 1 to 100`},
		{"bad_queue_priorities_empty.env", "worker", `WARDOPS_QUEUE_PRIORITIES=",,": no queues`},
		{"bad_queue_priorities_duplicate.env", "worker", `WARDOPS_QUEUE_PRIORITIES="critical=6,default=3,critical=1": queue "critical" is named twice`},
		{"bad_leader_ttl.env", "scheduler", `WARDOPS_LEADER_TTL="10m": must be between 1s and 5m0s`},
		{"bad_shutdown_timeout.env", "api", `WARDOPS_SHUTDOWN_TIMEOUT="500ms": must be between 1s and 10m0s`},
		{"bad_snmp_interval.env", "scheduler", `WARDOPS_SNMP_INTERVAL="1s": must be between 5s and 1h0m0s`},
		{"bad_snmp_batch_size.env", "api", `WARDOPS_SNMP_BATCH_SIZE="0": must be between 1 and 5000`},
		{"bad_ping_batch_size.env", "scheduler", `WARDOPS_PING_BATCH_SIZE="20000": must be between 1 and 10000`},
		{"bad_min_workers.env", "api", `WARDOPS_HEALTH_MIN_WORKERS="-1": must be between 0 and 10000`},
		{"bad_sse_max_life.env", "api", `WARDOPS_SSE_MAX_LIFE="10s": must be between 1m0s and 24h0m0s`},
		{"bad_sse_max_per_user.env", "api", `WARDOPS_SSE_MAX_PER_USER="ten": not an integer`},
		{"bad_sse_max_streams.env", "api", `WARDOPS_SSE_MAX_STREAMS="0": must be between 1 and 100000`},
		{"bad_sse_per_user_vs_max.env", "api", `WARDOPS_SSE_MAX_PER_USER="50": must not exceed WARDOPS_SSE_MAX_STREAMS (20)`},
		{"bad_snmp_enabled.env", "scheduler", `WARDOPS_SNMP_ENABLED="enabled": not a boolean (true/false)`},
		{"bad_ldap_plain.env", "api", `WARDOPS_LDAP_URL="ldap://127.0.0.1:389": plain ldap:// would send passwords in clear: use ldaps:// or set WARDOPS_LDAP_STARTTLS=true`},
		{"bad_ldap_groups.env", "api", `WARDOPS_LDAP_GROUPS="cn=noc,dc=bank,dc=example => admin; cn=ops,dc=bank,dc=example => root": entry 2: role "root": want viewer, operator or admin`},
		{"bad_ldap_groups_file.env", "api", `WARDOPS_LDAP_GROUPS_FILE="testdata/ldap_groups_bad.txt": line 5: "countries=north": want regions=a,b or branches=c,d`},
		{"bad_ldap_user_filter.env", "api", `WARDOPS_LDAP_USER_FILTER="(uid=admin)": must contain {username}`},
		{"bad_ldap_bind.env", "api", `WARDOPS_LDAP_BIND_DN="cn=svc,dc=bank,dc=example": WARDOPS_LDAP_BIND_DN and WARDOPS_LDAP_BIND_PASSWORD are required with WARDOPS_LDAP_URL`},
		{"bad_require_totp.env", "api", `WARDOPS_REQUIRE_TOTP_ADMINS="true": needs WARDOPS_SECRET_KEY to seal two-factor secrets`},
		{"bad_oidc_client_id.env", "api", `WARDOPS_OIDC_CLIENT_ID: is required with WARDOPS_OIDC_ISSUER`},
		{"bad_oidc_issuer_http.env", "api", `WARDOPS_OIDC_ISSUER="http://idp.bank.example": must be https (http only on a loopback address)`},
		{"bad_oidc_issuer_url.env", "api", `WARDOPS_OIDC_ISSUER="idp.bank.example": not an https URL with a host`},
		{"bad_oidc_redirect_path.env", "api", `WARDOPS_OIDC_REDIRECT_URL="https://noc.bank.example/callback": path must be /api/v1/auth/oidc/callback`},
		{"bad_oidc_roles_field.env", "api", `WARDOPS_OIDC_ROLES: "north": want a role name or {"role","regions","branches"}: json: unknown field "region"`},
		{"bad_oidc_roles_json.env", "api", `WARDOPS_OIDC_ROLES: not a JSON object of claim value to role: invalid character 'o' in literal null (expecting 'u')`},
		{"bad_oidc_roles_missing.env", "api", `WARDOPS_OIDC_ROLES: is required with WARDOPS_OIDC_ISSUER: a JSON object such as {"noc-admins":"admin","noc-staff":"viewer"}`},
		{"bad_oidc_roles_role.env", "api", `WARDOPS_OIDC_ROLES: "noc-root": role "root" is not viewer, operator or admin`},
		{"bad_oidc_secret_both.env", "api", `WARDOPS_OIDC_CLIENT_SECRET_FILE: set WARDOPS_OIDC_CLIENT_SECRET or WARDOPS_OIDC_CLIENT_SECRET_FILE, not both`},
		{"bad_oidc_secret_file.env", "api", `WARDOPS_OIDC_CLIENT_SECRET_FILE="/nonexistent/wardops-oidc-secret": cannot be read: open /nonexistent/wardops-oidc-secret: no such file or directory`},
		{"bad_oidc_secret_missing.env", "api", `WARDOPS_OIDC_CLIENT_SECRET: is required with WARDOPS_OIDC_ISSUER (or WARDOPS_OIDC_CLIENT_SECRET_FILE)`},
		{"bad_oidc_without_issuer.env", "api", `WARDOPS_OIDC_ISSUER: is required when WARDOPS_OIDC_CLIENT_ID is set (single sign-on)`},
		{"bad_several.env", "worker", "WARDOPS_LOG_LEVEL=\"loud\": must be one of debug, info, warn, error\n" +
			`WARDOPS_PING_COUNT="0": must be between 1 and 20`},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".env"), func(t *testing.T) {
			vars := readEnvFile(t, filepath.Join("testdata", tc.file))
			err := loaders[tc.binary](env(vars))
			if err == nil {
				t.Fatalf("%s with %v: no error, want %q", tc.binary, vars, tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			var fe *config.FieldError
			if !errors.As(err, &fe) || !strings.Contains(tc.want, fe.Var) {
				t.Errorf("error %v is not a *config.FieldError naming a variable of the fixture", err)
			}
			if _, ok := vars[fe.Var]; !ok {
				t.Errorf("error names %s, which the fixture does not set", fe.Var)
			}
		})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.env"))
	if err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			orphans = append(orphans, filepath.Base(f))
		}
	}
	sort.Strings(orphans)
	if len(orphans) > 0 {
		t.Errorf("fixtures without a case in this test: %v", orphans)
	}
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are skipped.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open fixture: %v", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: %q is not KEY=VALUE", path, n, line)
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	if len(vars) == 0 {
		t.Fatalf("%s sets no variable", path)
	}
	return vars
}

func TestParsePriorities(t *testing.T) {
	cases := []struct {
		in      string
		want    map[string]int
		wantErr string
	}{
		{in: "critical=6,default=3,low=1", want: map[string]int{"critical": 6, "default": 3, "low": 1}},
		{in: " critical = 6 ,, low=1, ", want: map[string]int{"critical": 6, "low": 1}},
		{in: "only=100", want: map[string]int{"only": 100}},
		{in: "a=1", want: map[string]int{"a": 1}},
		{in: "", wantErr: "no queues"},
		{in: " , ,", wantErr: "no queues"},
		{in: "critical", wantErr: `"critical" is not queue=priority with a priority from 1 to 100`},
		{in: "=3", wantErr: `"=3" is not queue=priority with a priority from 1 to 100`},
		{in: "critical=0", wantErr: `"critical=0" is not queue=priority with a priority from 1 to 100`},
		{in: "critical=101", wantErr: `"critical=101" is not queue=priority with a priority from 1 to 100`},
		{in: "critical=-2", wantErr: `"critical=-2" is not queue=priority with a priority from 1 to 100`},
		{in: "critical=six", wantErr: `"critical=six" is not queue=priority with a priority from 1 to 100`},
		{in: "critical=6=7", wantErr: `"critical=6=7" is not queue=priority with a priority from 1 to 100`},
		{in: "low=1,low=2", wantErr: `queue "low" is named twice`},
		{in: "low=1, low =1", wantErr: `queue "low" is named twice`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := config.ParsePriorities(tc.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("priorities (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueueNames(t *testing.T) {
	got := config.QueueNames(map[string]int{"low": 1, "critical": 6, "default": 3})
	if diff := cmp.Diff([]string{"critical", "default", "low"}, got); diff != "" {
		t.Errorf("QueueNames (-want +got):\n%s", diff)
	}
}

// TestPingValidate checks the relation between the ping settings: the timeout plus the spacing
// of the remaining echo requests must end strictly before the next slot.
func TestPingValidate(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name    string
		p       config.Ping
		wantErr string
	}{
		{name: "defaults", p: defaultPing()},
		{name: "just inside", p: config.Ping{Interval: time.Second, Count: 3, Timeout: 979 * ms, Spacing: 10 * ms}},
		{name: "exactly the interval", p: config.Ping{Interval: time.Second, Count: 3, Timeout: 980 * ms, Spacing: 10 * ms},
			wantErr: `WARDOPS_PING_TIMEOUT="980ms": timeout plus 2 spacings must be shorter than WARDOPS_PING_INTERVAL (1s)`},
		{name: "one echo ignores spacing", p: config.Ping{Interval: 2 * time.Second, Count: 1, Timeout: 1999 * ms, Spacing: 10 * time.Second}},
		{name: "spacings push past the interval", p: config.Ping{Interval: 2 * time.Second, Count: 20, Timeout: time.Second, Spacing: 100 * ms},
			wantErr: `WARDOPS_PING_TIMEOUT="1s": timeout plus 19 spacings must be shorter than WARDOPS_PING_INTERVAL (2s)`},
		{name: "timeout longer than interval", p: config.Ping{Interval: time.Second, Count: 3, Timeout: 5 * time.Second, Spacing: 10 * ms},
			wantErr: `WARDOPS_PING_TIMEOUT="5s": timeout plus 2 spacings must be shorter than WARDOPS_PING_INTERVAL (1s)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotErr := ""
			if err := tc.p.Validate(); err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFieldErrorWithoutValue(t *testing.T) {
	e := &config.FieldError{Var: "WARDOPS_X", Reason: "is required"}
	if diff := cmp.Diff("WARDOPS_X: is required", e.Error()); diff != "" {
		t.Errorf("Error (-want +got):\n%s", diff)
	}
}
