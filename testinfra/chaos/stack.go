package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/testinfra/testenv"
)

// ModuleRoot is the directory of go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		return "", fmt.Errorf("find the module: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Build compiles the three binaries into dir (go build's cache makes a second build quick).
func Build(dir string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/api", "./cmd/worker", "./cmd/scheduler")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, b)
	}
	return nil
}

// Options shape a Stack.
type Options struct {
	// Bin holds the api, worker and scheduler binaries (Build).
	Bin string
	// Devices on loopback addresses 127.20.x.y (default 200).
	Devices int
	// Interval of the ping cycle (default 3s).
	Interval time.Duration
	// Workers and Schedulers are the process counts (default 1 and 2).
	Workers, Schedulers int
	// BatchSize devices per ping task (default 50) and Concurrency per worker (default 10).
	BatchSize, Concurrency int
	// PingTimeout (default 500ms).
	PingTimeout time.Duration
	// NoDedup runs VictoriaMetrics without deduplication, so a sample written twice counts twice.
	NoDedup bool
	// AdminPassword creates user admin at the API's first start (for tests that sign in).
	AdminPassword string
	// Dead devices (included in Devices) sit in a network namespace whose link is down: they
	// never answer, so every batch holding one lasts the ping timeout. They are spread one per
	// batch from the first.
	Dead int
}

func (o *Options) setDefaults() {
	o.Devices = cmpOr(o.Devices, 200)
	o.Interval = cmpOr(o.Interval, 3*time.Second)
	o.Workers = cmpOr(o.Workers, 1)
	o.Schedulers = cmpOr(o.Schedulers, 2)
	o.BatchSize = cmpOr(o.BatchSize, 50)
	o.Concurrency = cmpOr(o.Concurrency, 10)
	o.PingTimeout = cmpOr(o.PingTimeout, 500*time.Millisecond)
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Stack is a whole WardOps of real processes on private services: a PostgreSQL cluster, a
// redis-server and a VictoriaMetrics of its own, the API, workers and schedulers, monitoring a
// loopback fleet. Everything stops when the test ends.
type Stack struct {
	t          testing.TB
	O          Options
	PG         *PG
	Redis      *Redis
	VM         *testenv.VM
	DB         *pgxpool.Pool
	API        *Proc
	Workers    []*Proc
	Schedulers []*Proc
	APIURL     string
	LogDir     string
}

// Start brings the stack up and waits for the first complete cycle.
func Start(t testing.TB, o Options) *Stack {
	t.Helper()
	o.setDefaults()
	s := &Stack{t: t, O: o, LogDir: t.TempDir()}
	s.PG = NewPG(t)
	s.Redis = NewRedis(t)
	s.VM = testenv.NewVMWith(t, testenv.VMOptions{NoDedup: o.NoDedup})
	apiPort := FreePort(t)
	s.APIURL = "http://127.0.0.1:" + strconv.Itoa(apiPort)
	s.API = s.proc("api", "api", map[string]string{"WARDOPS_HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(apiPort),
		"WARDOPS_MIGRATE_ON_START": "true", "WARDOPS_HEALTH_MIN_WORKERS": strconv.Itoa(o.Workers),
		"WARDOPS_ADMIN_PASSWORD": o.AdminPassword, "WARDOPS_SHUTDOWN_TIMEOUT": "10s", "WARDOPS_METRICS_ALLOW": "127.0.0.1/32"})
	s.API.Start()
	s.WaitAPI(60 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, s.PG.URL("wardops")+"&application_name=wardops-chaos-test")
	testenv.Must(t, "open the private database", err)
	t.Cleanup(pool.Close)
	s.DB = pool
	var deadIP string
	if o.Dead > 0 {
		h := testenv.NewHost(t, 1)
		h.Down(t)
		deadIP = h.IP
	}
	testenv.Must(t, "insert the fleet", InsertFleet(ctx, pool, o.Devices, o.Dead, o.BatchSize, deadIP))
	for i := range o.Workers {
		w := s.proc(fmt.Sprintf("worker-%d", i+1), "worker", map[string]string{
			"WARDOPS_WORKER_CONCURRENCY": strconv.Itoa(o.Concurrency), "WARDOPS_DB_MAX_CONNS": strconv.Itoa(max(o.Concurrency, 4)),
			"WARDOPS_PING_BATCH_SIZE": strconv.Itoa(o.BatchSize), "WARDOPS_SHUTDOWN_TIMEOUT": "5s"})
		w.Start()
		s.Workers = append(s.Workers, w)
	}
	for i := range o.Schedulers {
		sc := s.proc(fmt.Sprintf("scheduler-%d", i+1), "scheduler", map[string]string{"WARDOPS_LEADER_TTL": "3s"})
		sc.Start()
		s.Schedulers = append(s.Schedulers, sc)
	}
	s.WaitCompleteSlot(time.Now(), 60*time.Second)
	return s
}

// proc prepares a process of binary bin with the stack's common environment plus extra.
func (s *Stack) proc(name, bin string, extra map[string]string) *Proc {
	metricsPort := FreePort(s.t)
	env := map[string]string{
		"WARDOPS_DATABASE_URL": s.PG.URL("wardops"), "WARDOPS_REDIS_URL": s.Redis.URL(), "WARDOPS_VM_URL": s.VM.URL(),
		"WARDOPS_PING_INTERVAL": s.O.Interval.String(), "WARDOPS_PING_TIMEOUT": s.O.PingTimeout.String(),
		"WARDOPS_SNMP_ENABLED": "false", "WARDOPS_QUERY_TIMEOUT": "5s", "WARDOPS_LOG_LEVEL": "info",
		"WARDOPS_METRICS_ADDR": "127.0.0.1:" + strconv.Itoa(metricsPort),
	}
	for k, v := range extra {
		env[k] = v
	}
	p := NewProc(s.t, name, filepath.Join(s.O.Bin, bin), s.LogDir, env)
	if bin == "api" {
		p.MetricsURL = s.APIURL + "/metrics"
	} else {
		p.MetricsURL = "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics"
	}
	return p
}

// InsertFleet adds n enabled devices on distinct loopback addresses 127.20.x.y; the first
// device of each of the first dead batches (of batchSize) gets deadIP instead.
func InsertFleet(ctx context.Context, db *pgxpool.Pool, n, dead, batchSize int, deadIP string) error {
	rows := make([][]any, n)
	for i := range n {
		ip := fmt.Sprintf("127.20.%d.%d", (i/250)%250, i%250+1)
		if dead > 0 && batchSize > 0 && i%batchSize == 0 && i/batchSize < dead {
			ip = deadIP
		}
		rows[i] = []any{fmt.Sprintf("chaos-%05d", i+1), ip, fmt.Sprintf("branch-%02d", i/50), "chaos", "router", true}
	}
	_, err := db.CopyFrom(ctx, pgx.Identifier{"devices"}, []string{"name", "ip", "branch", "region", "type", "enabled"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("insert %d devices: %w", n, err)
	}
	return nil
}

// WaitAPI waits until the API answers /api/v1/health (200 or 503: it serves).
func (s *Stack) WaitAPI(limit time.Duration) time.Duration {
	s.t.Helper()
	start := time.Now()
	c := &http.Client{Timeout: time.Second}
	for time.Since(start) < limit {
		resp, err := c.Get(s.APIURL + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable {
				return time.Since(start)
			}
		}
		if !s.API.Running() {
			s.t.Fatalf("api exited:\n%s", s.API.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("api did not answer within %s:\n%s", limit, s.API.LogTail(30))
	return 0
}

// SlotRows counts the ping_results rows of the slot starting at slot.
func (s *Stack) SlotRows(ctx context.Context, slot time.Time) (int, error) {
	var n int
	err := s.DB.QueryRow(ctx, `SELECT count(*) FROM ping_results WHERE slot_at = $1`, slot).Scan(&n)
	return n, err
}

// WaitCompleteSlot waits for the first slot starting at or after from whose every device has a
// row, and returns how long after from that slot was complete.
func (s *Stack) WaitCompleteSlot(from time.Time, limit time.Duration) time.Duration {
	s.t.Helper()
	d, err := s.waitCompleteSlot(from, limit)
	if err != nil {
		s.t.Fatalf("%v\nworker log:\n%s\nscheduler log:\n%s", err, s.Workers[0].LogTail(30), s.Schedulers[0].LogTail(15))
	}
	return d
}

func (s *Stack) waitCompleteSlot(from time.Time, limit time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit+5*time.Second)
	defer cancel()
	first := schedule.SlotStart(from, s.O.Interval, 0)
	if first.Before(from) {
		first = first.Add(s.O.Interval)
	}
	for time.Since(from) < limit {
		var n int
		err := s.DB.QueryRow(ctx, `SELECT count(*) FROM (SELECT slot_at FROM ping_results WHERE slot_at >= $1
			GROUP BY slot_at HAVING count(*) >= $2) c`, first, s.O.Devices).Scan(&n)
		if err == nil && n > 0 {
			return time.Since(from), nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return 0, errors.New("no complete slot within " + limit.String())
}

// LeaderOwner returns the owner string in the scheduler lease ("scheduler-host-pid").
func (s *Stack) LeaderOwner(ctx context.Context) (string, error) {
	return s.Redis.Client().Get(ctx, schedule.LeaseKey).Result()
}

// SchedulerByPID finds the scheduler process with pid.
func (s *Stack) SchedulerByPID(pid int) *Proc {
	for _, p := range s.Schedulers {
		if p.PID() == pid {
			return p
		}
	}
	return nil
}

// LogsOnFailure prints every process's log tail when the test failed.
func (s *Stack) LogsOnFailure() {
	s.t.Cleanup(func() {
		if !s.t.Failed() {
			return
		}
		for _, p := range append(append([]*Proc{s.API}, s.Workers...), s.Schedulers...) {
			s.t.Logf("---- %s log tail\n%s", p.Name, p.LogTail(25))
		}
		if os.Getenv("WARDOPS_CHAOS_KEEP_LOGS") != "" {
			s.t.Logf("logs in %s", s.LogDir)
		}
	})
}
