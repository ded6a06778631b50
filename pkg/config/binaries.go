package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/wardops/wardops/pkg/notify"
)

// API is the configuration of cmd/api.
type API struct {
	Common
	Ping
	SNMP
	// HTTPAddr: WARDOPS_HTTP_ADDR (default ":5001").
	HTTPAddr string
	// MigrateOnStart: WARDOPS_MIGRATE_ON_START applies migrations at start (default true).
	MigrateOnStart bool
	// MinWorkers: WARDOPS_HEALTH_MIN_WORKERS; fewer live worker servers is "degraded" (default 1).
	MinWorkers int
	// DiskPath: WARDOPS_DISK_PATH, the filesystem whose free space health reports (default "/").
	DiskPath string
	// AdminPassword: WARDOPS_ADMIN_PASSWORD creates user admin on first start (default none).
	AdminPassword string
	// ShutdownTimeout: WARDOPS_SHUTDOWN_TIMEOUT to drain connections (default 25s).
	ShutdownTimeout time.Duration
	// SessionIdle: WARDOPS_SESSION_IDLE, dashboard session idle expiry (default 30m).
	SessionIdle time.Duration
	// SessionAbsolute: WARDOPS_SESSION_ABSOLUTE, dashboard session absolute expiry (default 12h).
	SessionAbsolute time.Duration
	// CookieSecure: WARDOPS_COOKIE_SECURE marks cookies Secure (default false; true under TLS).
	CookieSecure bool
	// TLSCertFile and TLSKeyFile: WARDOPS_TLS_CERT_FILE / WARDOPS_TLS_KEY_FILE serve HTTPS (default none).
	TLSCertFile, TLSKeyFile string
	// TrustedProxies: WARDOPS_TRUSTED_PROXIES, addresses/CIDRs allowed to set X-Forwarded-For (default none).
	TrustedProxies []netip.Prefix
	// MetricsAllow: WARDOPS_METRICS_ALLOW, CIDRs that may read /metrics without a token (default none).
	MetricsAllow []netip.Prefix
	// LDAP: WARDOPS_LDAP_*, sign-in against Active Directory / LDAP (default off).
	LDAP LDAP
	// RequireTOTPAdmins: WARDOPS_REQUIRE_TOTP_ADMINS, local admins must enrol in two-factor
	// before anything else (default false; needs WARDOPS_SECRET_KEY).
	RequireTOTPAdmins bool
	// OIDC: single sign-on, WARDOPS_OIDC_* (default off).
	OIDC OIDC
	// NotifyAllow: WARDOPS_NOTIFY_ALLOW, internal receivers notifications may reach although
	// they are loopback or link-local (the API sends tests and the watchdog's pages) (default none).
	NotifyAllow notify.AllowList
	// Streams: WARDOPS_SSE_*, the live-event stream limits.
	Streams Streams
}

// LoadAPI reads the API's configuration; the error names every bad variable.
func LoadAPI(get Getenv) (API, error) {
	r := &reader{get: get}
	c := API{
		Common:            loadCommon(r, DefaultAPIMaxConns),
		Ping:              loadPing(r),
		SNMP:              loadSNMP(r),
		HTTPAddr:          r.str("WARDOPS_HTTP_ADDR", DefaultHTTPAddr),
		MigrateOnStart:    r.boolean("WARDOPS_MIGRATE_ON_START", true),
		MinWorkers:        r.integer("WARDOPS_HEALTH_MIN_WORKERS", DefaultMinWorkers, 0, 10000),
		DiskPath:          r.str("WARDOPS_DISK_PATH", DefaultDiskPath),
		AdminPassword:     r.str("WARDOPS_ADMIN_PASSWORD", ""),
		ShutdownTimeout:   r.duration("WARDOPS_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, time.Second, 10*time.Minute),
		SessionIdle:       r.duration("WARDOPS_SESSION_IDLE", DefaultSessionIdle, time.Minute, 7*24*time.Hour),
		SessionAbsolute:   r.duration("WARDOPS_SESSION_ABSOLUTE", DefaultSessionAbsolute, time.Minute, 30*24*time.Hour),
		CookieSecure:      r.boolean("WARDOPS_COOKIE_SECURE", false),
		TLSCertFile:       r.str("WARDOPS_TLS_CERT_FILE", ""),
		TLSKeyFile:        r.str("WARDOPS_TLS_KEY_FILE", ""),
		TrustedProxies:    r.prefixes("WARDOPS_TRUSTED_PROXIES"),
		MetricsAllow:      r.prefixes("WARDOPS_METRICS_ALLOW"),
		LDAP:              loadLDAP(r),
		RequireTOTPAdmins: r.boolean("WARDOPS_REQUIRE_TOTP_ADMINS", false),
		OIDC:              loadOIDC(r),
		NotifyAllow:       r.allowList("WARDOPS_NOTIFY_ALLOW"),
		Streams:           loadStreams(r),
	}
	if c.RequireTOTPAdmins && c.SecretKey == "" {
		r.fail("WARDOPS_REQUIRE_TOTP_ADMINS", "true", "needs WARDOPS_SECRET_KEY to seal two-factor secrets")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		missing := "WARDOPS_TLS_KEY_FILE"
		if c.TLSCertFile == "" {
			missing = "WARDOPS_TLS_CERT_FILE"
		}
		r.fail(missing, "", "is required with its pair: set both WARDOPS_TLS_CERT_FILE and WARDOPS_TLS_KEY_FILE, or neither")
	}
	if c.SessionIdle > c.SessionAbsolute {
		r.fail("WARDOPS_SESSION_IDLE", c.SessionIdle.String(), "must not exceed WARDOPS_SESSION_ABSOLUTE")
	}
	if err := r.err(); err != nil {
		return c, err
	}
	if err := c.Streams.Validate(); err != nil {
		return c, err
	}
	return c, c.Ping.Validate()
}

// Worker is the configuration of cmd/worker.
type Worker struct {
	Common
	Ping
	SNMP
	// Concurrency: WARDOPS_WORKER_CONCURRENCY tasks at a time (default 50).
	Concurrency int
	// Queues: WARDOPS_QUEUE_PRIORITIES, "queue=priority,…" (default critical=6,default=3,notify=3,low=1).
	Queues map[string]int
	// MetricsAddr: WARDOPS_METRICS_ADDR for /metrics (default 127.0.0.1:9101; "off" disables).
	MetricsAddr string
	// Pprof: WARDOPS_PPROF serves Go's /debug/pprof/ on the metrics listener (default false).
	Pprof bool
	// ShutdownTimeout: WARDOPS_SHUTDOWN_TIMEOUT to finish in-flight tasks (default 25s).
	ShutdownTimeout time.Duration
	// NotifyAllow: WARDOPS_NOTIFY_ALLOW, internal receivers notifications may reach although
	// they are loopback or link-local (default none).
	NotifyAllow notify.AllowList
}

// LoadWorker reads the worker's configuration; the error names every bad variable.
func LoadWorker(get Getenv) (Worker, error) {
	r := &reader{get: get}
	c := Worker{
		Common:          loadCommon(r, DefaultWorkerMaxConns),
		Ping:            loadPing(r),
		SNMP:            loadSNMP(r),
		Concurrency:     r.integer("WARDOPS_WORKER_CONCURRENCY", DefaultConcurrency, 1, 10000),
		MetricsAddr:     r.str("WARDOPS_METRICS_ADDR", DefaultWorkerMetricsAddr),
		Pprof:           r.boolean("WARDOPS_PPROF", false),
		ShutdownTimeout: r.duration("WARDOPS_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, time.Second, 10*time.Minute),
		NotifyAllow:     r.allowList("WARDOPS_NOTIFY_ALLOW"),
	}
	raw := r.str("WARDOPS_QUEUE_PRIORITIES", DefaultQueuePriorities)
	q, err := ParsePriorities(raw)
	if err != nil {
		r.fail("WARDOPS_QUEUE_PRIORITIES", raw, err.Error())
	}
	c.Queues = q
	if err := r.err(); err != nil {
		return c, err
	}
	if c.DBMaxConns < c.Concurrency/2 {
		return c, &FieldError{Var: "WARDOPS_DB_MAX_CONNS", Value: fmt.Sprint(c.DBMaxConns),
			Reason: fmt.Sprintf("too small for WARDOPS_WORKER_CONCURRENCY=%d (need at least half of it)", c.Concurrency)}
	}
	return c, c.Ping.Validate()
}

// Scheduler is the configuration of cmd/scheduler.
type Scheduler struct {
	Common
	Ping
	SNMP
	// LeaderTTL: WARDOPS_LEADER_TTL of the Redis leader lease (default 10s).
	LeaderTTL time.Duration
	// SNMPEnabled: WARDOPS_SNMP_ENABLED schedules SNMP polls (default true).
	SNMPEnabled bool
	// MetricsAddr: WARDOPS_METRICS_ADDR for /metrics (default 127.0.0.1:9102; "off" disables).
	MetricsAddr string
	// Pprof: WARDOPS_PPROF serves Go's /debug/pprof/ on the metrics listener (default false).
	Pprof bool
}

// LoadScheduler reads the scheduler's configuration; the error names every bad variable.
func LoadScheduler(get Getenv) (Scheduler, error) {
	r := &reader{get: get}
	c := Scheduler{
		Common:      loadCommon(r, DefaultSchedulerMaxConns),
		Ping:        loadPing(r),
		SNMP:        loadSNMP(r),
		LeaderTTL:   r.duration("WARDOPS_LEADER_TTL", DefaultLeaderTTL, time.Second, 5*time.Minute),
		SNMPEnabled: r.boolean("WARDOPS_SNMP_ENABLED", true),
		MetricsAddr: r.str("WARDOPS_METRICS_ADDR", DefaultSchedMetricsAddr),
		Pprof:       r.boolean("WARDOPS_PPROF", false),
	}
	if err := r.err(); err != nil {
		return c, err
	}
	return c, c.Ping.Validate()
}
