package config

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/secrets"
)

// Defaults. The README lists every variable with these values.
const (
	DefaultDatabaseURL       = "postgres://postgres@127.0.0.1:5432/wardops?sslmode=disable"
	DefaultRedisURL          = "redis://127.0.0.1:6379/0"
	DefaultVMURL             = "http://127.0.0.1:8428"
	DefaultHTTPAddr          = ":5001"
	DefaultWorkerMetricsAddr = "127.0.0.1:9101"
	DefaultSchedMetricsAddr  = "127.0.0.1:9102"
	DefaultQueryTimeout      = 10 * time.Second
	DefaultAPIMaxConns       = 20
	DefaultWorkerMaxConns    = 60
	DefaultSchedulerMaxConns = 4
	DefaultPingInterval      = 30 * time.Second
	DefaultPingCount         = 3
	DefaultPingTimeout       = time.Second
	DefaultPingSpacing       = 10 * time.Millisecond
	DefaultPingBatchSize     = 100
	DefaultSNMPInterval      = 60 * time.Second
	DefaultSNMPBatchSize     = 25
	DefaultConcurrency       = 50
	DefaultQueuePriorities   = "critical=6,default=3,notify=3,low=1"
	DefaultShutdownTimeout   = 25 * time.Second
	DefaultLeaderTTL         = 10 * time.Second
	DefaultMinWorkers        = 1
	DefaultDiskPath          = "/"
	DefaultSpoolMaxSamples   = 10_000_000
	DefaultSessionIdle       = 30 * time.Minute
	DefaultSessionAbsolute   = 12 * time.Hour
)

// Env reads variables from the process environment.
func Env() Getenv { return os.LookupEnv }

// Common holds what every binary needs.
type Common struct {
	// DatabaseURL: WARDOPS_DATABASE_URL (default DefaultDatabaseURL).
	DatabaseURL string
	// DBMaxConns: WARDOPS_DB_MAX_CONNS (default 20 for the API, 60 for a worker, 4 for the scheduler).
	DBMaxConns int
	// QueryTimeout: WARDOPS_QUERY_TIMEOUT, bound of every statement (default 10s).
	QueryTimeout time.Duration
	// RedisURL: WARDOPS_REDIS_URL (default DefaultRedisURL); redis:// or rediss://, or
	// redis-sentinel://[:password@]host:port[,host:port]/db?master=NAME for Sentinel.
	RedisURL string
	// VMURL: WARDOPS_VM_URL, VictoriaMetrics (default DefaultVMURL).
	VMURL string
	// LogLevel: WARDOPS_LOG_LEVEL debug|info|warn|error (default info).
	LogLevel string
	// LogFormat: WARDOPS_LOG_FORMAT text|json (default text).
	LogFormat string
	// SecretKey: WARDOPS_SECRET_KEY, 32-byte key (base64) for secrets at rest (default none).
	SecretKey string
	// MetricsPushURL: WARDOPS_METRICS_PUSH_URL, optional push of self-metrics (default none).
	MetricsPushURL string
	// SpoolMaxSamples: WARDOPS_TSDB_SPOOL_MAX_SAMPLES, bound of the VictoriaMetrics outage spool
	// (default 10,000,000 samples, about 60 MB in PostgreSQL).
	SpoolMaxSamples int
}

func loadCommon(r *reader, maxConns int) Common {
	c := Common{
		DatabaseURL:     r.url("WARDOPS_DATABASE_URL", DefaultDatabaseURL, "postgres", "postgresql"),
		DBMaxConns:      r.integer("WARDOPS_DB_MAX_CONNS", maxConns, 2, 1000),
		QueryTimeout:    r.duration("WARDOPS_QUERY_TIMEOUT", DefaultQueryTimeout, 100*time.Millisecond, 10*time.Minute),
		RedisURL:        r.url("WARDOPS_REDIS_URL", DefaultRedisURL, "redis", "rediss", "redis-sentinel"),
		VMURL:           r.url("WARDOPS_VM_URL", DefaultVMURL, "http", "https"),
		LogLevel:        r.oneOf("WARDOPS_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		LogFormat:       r.oneOf("WARDOPS_LOG_FORMAT", "text", "text", "json"),
		SecretKey:       r.str("WARDOPS_SECRET_KEY", ""),
		MetricsPushURL:  r.str("WARDOPS_METRICS_PUSH_URL", ""),
		SpoolMaxSamples: r.integer("WARDOPS_TSDB_SPOOL_MAX_SAMPLES", DefaultSpoolMaxSamples, 1, 1_000_000_000),
	}
	if c.SecretKey != "" {
		if _, err := secrets.ParseKey(c.SecretKey); err != nil {
			r.fail("WARDOPS_SECRET_KEY", "", err.Error()) // never echo the key itself
		}
	}
	return c
}

// Ping holds the ping job's settings (used by the scheduler and the worker).
type Ping struct {
	// Interval: WARDOPS_PING_INTERVAL (default 30s).
	Interval time.Duration
	// Count: WARDOPS_PING_COUNT echo requests per device (default 3).
	Count int
	// Timeout: WARDOPS_PING_TIMEOUT per device (default 1s).
	Timeout time.Duration
	// Spacing: WARDOPS_PING_SPACING between echo requests, at least 10ms (default 10ms).
	Spacing time.Duration
	// BatchSize: WARDOPS_PING_BATCH_SIZE devices per task (default 100).
	BatchSize int
	// Engine: WARDOPS_PING_ENGINE, "shared" (one raw socket for all targets) or "probing"
	// (pro-bing, a socket per target) (default shared).
	Engine string
}

func loadPing(r *reader) Ping {
	return Ping{
		Interval:  r.duration("WARDOPS_PING_INTERVAL", DefaultPingInterval, time.Second, time.Hour),
		Count:     r.integer("WARDOPS_PING_COUNT", DefaultPingCount, 1, 20),
		Timeout:   r.duration("WARDOPS_PING_TIMEOUT", DefaultPingTimeout, 50*time.Millisecond, 30*time.Second),
		Spacing:   r.duration("WARDOPS_PING_SPACING", DefaultPingSpacing, 10*time.Millisecond, 10*time.Second),
		BatchSize: r.integer("WARDOPS_PING_BATCH_SIZE", DefaultPingBatchSize, 1, 10000),
		Engine:    r.oneOf("WARDOPS_PING_ENGINE", "shared", "shared", "probing"),
	}
}

// Validate checks the relations between the ping settings.
func (p Ping) Validate() error {
	if p.Timeout+time.Duration(p.Count-1)*p.Spacing >= p.Interval {
		return &FieldError{Var: "WARDOPS_PING_TIMEOUT", Value: p.Timeout.String(),
			Reason: fmt.Sprintf("timeout plus %d spacings must be shorter than WARDOPS_PING_INTERVAL (%s)", p.Count-1, p.Interval)}
	}
	return nil
}

// SNMP holds the SNMP poll job's settings.
type SNMP struct {
	// Interval: WARDOPS_SNMP_INTERVAL (default 60s).
	Interval time.Duration
	// BatchSize: WARDOPS_SNMP_BATCH_SIZE devices per task (default 25).
	BatchSize int
}

func loadSNMP(r *reader) SNMP {
	return SNMP{
		Interval:  r.duration("WARDOPS_SNMP_INTERVAL", DefaultSNMPInterval, 5*time.Second, time.Hour),
		BatchSize: r.integer("WARDOPS_SNMP_BATCH_SIZE", DefaultSNMPBatchSize, 1, 5000),
	}
}

// ParsePriorities parses "critical=6,default=3,low=1" into a queue→priority map.
func ParsePriorities(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || strings.TrimSpace(name) == "" || err != nil || n < 1 || n > 100 {
			return nil, fmt.Errorf("%q is not queue=priority with a priority from 1 to 100", part)
		}
		name = strings.TrimSpace(name)
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("queue %q is named twice", name)
		}
		out[name] = n
	}
	if len(out) == 0 {
		return nil, errors.New("no queues")
	}
	return out, nil
}

// QueueNames returns the queue names of a priority map, sorted, for logs.
func QueueNames(m map[string]int) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
