//go:build pipelinebench

package pipelinebench_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/testinfra/chaos"
	"github.com/wardops/wardops/testinfra/testenv"
	"github.com/wardops/wardops/tools/benchreport/benchfile"
	"github.com/wardops/wardops/tools/fleet/fleetsim"
	pb "github.com/wardops/wardops/tools/pipelinebench"
)

var (
	sizesFlag    = flag.String("sizes", "1000:1000,10000:10000,50000,100000", "fleet sizes in order, DEVICES[:SNMP_AGENTS] comma-separated")
	cyclesFlag   = flag.Int("cycles", 4, "measured ping cycles per size")
	warmFlag     = flag.Int("warmup", 1, "ping cycles left out after each fleet change")
	intervalFlag = flag.Duration("interval", 30*time.Second, "ping interval")
	snmpIntFlag  = flag.Duration("snmp-interval", 60*time.Second, "SNMP interval")
	scaleFlag    = flag.String("scale-out", "2,3", "worker counts measured at the largest size after one worker (empty: none)")
	simProcsFlag = flag.Int("snmp-procs", 2, "snmpsimd processes serving the agents")
	outFlag      = flag.String("out", "", "JSON results (default RUN_DIR/bench/pipeline.json)")
	workerEnv    = flag.String("worker-env", "", "extra worker settings, K=V comma-separated (e.g. WARDOPS_PING_BATCH_SIZE=500)")
	mergeFlag    = flag.Bool("merge", false, "keep the rows of the existing results file that this run does not measure (e.g. a rerun of some sizes)")
	deadFlag     = flag.Int("unreachable", 5, "after the scale-out, the same worker counts again (largest first, then one) with this percent of the devices (not routers, switches, firewalls) dead: on addresses behind a network namespace whose link is down (10.200.64.0/18); 0: not run")
	commandFlag  = flag.String("command", "go tool task bench:pipeline", "command named in the results")
)

// size is a fleet: devices, SNMP agents among them, percent of them unreachable.
type size struct{ devices, snmp, dead int }

// unreachablePrefix holds the -unreachable devices: routed to a test namespace, inside the guard subnet.
var unreachablePrefix = netip.MustParsePrefix("10.200.64.0/18")

func parseSizes(t *testing.T, s string) []size {
	var out []size
	for _, part := range strings.Split(s, ",") {
		d, m, _ := strings.Cut(strings.TrimSpace(part), ":")
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			t.Fatalf("-sizes: %q is not DEVICES[:SNMP]", part)
		}
		sz := size{devices: n}
		if m != "" {
			if sz.snmp, err = strconv.Atoi(m); err != nil || sz.snmp < 0 || sz.snmp > n {
				t.Fatalf("-sizes: %q: SNMP agents must be 0..DEVICES", part)
			}
		}
		out = append(out, sz)
	}
	return out
}

// TestPipeline runs the benchmark (see the package comment).
func TestPipeline(t *testing.T) {
	date, load0 := benchfile.Now(), benchfile.LoadAvg()
	sizes := parseSizes(t, *sizesFlag)
	var scale []int
	for _, f := range strings.FieldsFunc(*scaleFlag, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			t.Fatalf("-scale-out: %q is not a worker count ≥ 2", f)
		}
		scale = append(scale, n)
	}
	root, err := fleetsim.ModuleRoot()
	testenv.Must(t, "module root", err)
	runDir := os.Getenv("WARDOPS_RUN_DIR")
	if runDir == "" {
		runDir = filepath.Join(root, "run")
	}
	out := *outFlag
	if out == "" {
		out = filepath.Join(runDir, "bench", "pipeline.json")
	} else if !filepath.IsAbs(out) {
		out = filepath.Join(root, out) // go test runs in the package directory
	}
	s := startStack(t, root, runDir)
	if *deadFlag > 0 && len(scale) > 0 {
		// The guard blackhole route for 10.200.0.0/16 is added first (NewHost); the dead devices'
		// /18 is routed to the namespace, whose side of the link is then downed before any ping.
		h := testenv.NewHost(t, 249) // 250 is the demo's namespace (scripts/demo-netns.sh)
		h.Route(t, unreachablePrefix.String())
		h.Down(t)
	}
	var phases []pb.Phase
	for _, sz := range sizes {
		phases = append(phases, s.phase(t, sz, 1))
	}
	last := sizes[len(sizes)-1]
	for _, w := range scale {
		phases = append(phases, s.phase(t, last, w))
	}
	if *deadFlag > 0 && len(scale) > 0 {
		// Cycles that wait on timeouts are bound by each worker's concurrency, not by the CPU:
		// the series where more workers should pay off even on one host.
		dead := last
		dead.dead = *deadFlag
		for _, w := range slices.Backward(append([]int{1}, scale...)) {
			phases = append(phases, s.phase(t, dead, w))
		}
	}
	s.facts(t)
	rows := pb.Rows(phases)
	if *mergeFlag {
		old, err := pb.ReadJSON(out)
		testenv.Must(t, "read the results to merge", err)
		rows = pb.Merge(old.Rows, rows)
	}
	pb.WriteMarkdown(os.Stdout, rows)
	testenv.Must(t, "write results", pb.WriteJSON(out, pb.Results{Bench: "pipeline", Command: *commandFlag,
		Date: date, Load: load0 + " → " + benchfile.LoadAvg(), Rows: rows}))
	t.Logf("wrote %s", out)
}

type stack struct {
	t                 *testing.T
	root, bin, logDir string
	pg                *chaos.PG
	rds               *chaos.Redis
	vm                *testenv.VM
	db                *pgxpool.Pool
	rdb               *redis.Client
	env               map[string]string
	api, sched        *chaos.Proc
	workers           []*chaos.Proc
	client            *fleetsim.Client
	agents            fleetsim.Agents
	cur               size
	unreachable       int // devices of cur moved behind the downed namespace
}

func startStack(t *testing.T, root, runDir string) *stack {
	s := &stack{t: t, root: root, bin: filepath.Join(runDir, "bench", "pipeline-bin"), logDir: filepath.Join(runDir, "bench", "pipeline-logs")}
	testenv.Must(t, "log dir", os.MkdirAll(s.logDir, 0o755))
	testenv.Must(t, "build", chaos.Build(s.bin))
	s.pg, s.rds, s.vm = chaos.NewPG(t), chaos.NewRedis(t), testenv.NewVM(t)
	s.rdb = s.rds.Client()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.env = map[string]string{
		"WARDOPS_DATABASE_URL": s.pg.URL("wardops"), "WARDOPS_REDIS_URL": s.rds.URL(), "WARDOPS_VM_URL": s.vm.URL(),
		"WARDOPS_PING_INTERVAL": intervalFlag.String(), "WARDOPS_SNMP_INTERVAL": snmpIntFlag.String(),
		"WARDOPS_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "WARDOPS_LOG_LEVEL": "info",
	}
	apiPort := chaos.FreePort(t)
	s.api = s.proc(t, "api", "api", map[string]string{"WARDOPS_HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(apiPort),
		"WARDOPS_ADMIN_PASSWORD": "pipeline-bench-admin", "WARDOPS_METRICS_ALLOW": "127.0.0.1/32"})
	s.api.Start()
	base := "http://127.0.0.1:" + strconv.Itoa(apiPort)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.client = &fleetsim.Client{Base: base, Parallel: 8, Progress: func(f string, a ...any) { t.Logf(f, a...) }}
	for {
		if tok, err := s.token(ctx); err == nil {
			s.client.Token = tok
			if err := s.client.Check(ctx); err == nil {
				break
			}
		}
		if ctx.Err() != nil || !s.api.Running() {
			t.Fatalf("the API did not come up:\n%s", s.api.LogTail(30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	pool, err := pgxpool.New(ctx, s.pg.URL("wardops")+"&application_name=wardops-pipeline-bench")
	testenv.Must(t, "open the private database", err)
	t.Cleanup(pool.Close)
	s.db = pool
	s.agents = fleetsim.Agents{Root: root, Dir: filepath.Join(runDir, "bench", "pipeline-snmp"), Port: 11462, Procs: *simProcsFlag}
	t.Cleanup(func() { _ = s.agents.Stop(context.Background()) })
	s.sched = s.proc(t, "scheduler", "scheduler", map[string]string{"WARDOPS_SNMP_ENABLED": "true"})
	s.sched.Start()
	s.addWorker(t)
	return s
}

// token makes an admin token with the API binary's CLI (the API creates user admin at start).
func (s *stack) token(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "api"), "token", "create", "--name", "pipeline-bench", "--role", "admin",
		"--user", "admin", "--expires-in-days", "1")
	cmd.Env = append(os.Environ(), "WARDOPS_DATABASE_URL="+s.env["WARDOPS_DATABASE_URL"], "WARDOPS_MIGRATE_ON_START=false")
	b, err := cmd.Output()
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1], nil
}

func (s *stack) proc(t *testing.T, name, bin string, extra map[string]string) *chaos.Proc {
	env := map[string]string{}
	for k, v := range s.env {
		env[k] = v
	}
	port := chaos.FreePort(t)
	env["WARDOPS_METRICS_ADDR"] = "127.0.0.1:" + strconv.Itoa(port)
	for k, v := range extra {
		env[k] = v
	}
	p := chaos.NewProc(t, name, filepath.Join(s.bin, bin), s.logDir, env)
	p.MetricsURL = "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	return p
}

func (s *stack) addWorker(t *testing.T) {
	extra := map[string]string{}
	for _, kv := range strings.FieldsFunc(*workerEnv, func(r rune) bool { return r == ',' }) {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || !strings.HasPrefix(k, "WARDOPS_") {
			t.Fatalf("-worker-env: %q is not WARDOPS_NAME=value", kv)
		}
		extra[k] = v
	}
	w := s.proc(t, fmt.Sprintf("worker-%d", len(s.workers)+1), "worker", extra)
	w.Start()
	s.workers = append(s.workers, w)
}
