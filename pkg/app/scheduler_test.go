package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/retention"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/testinfra/testenv"
)

// lockedBuffer is a log sink the scheduler's goroutines may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSchedulerStartsWithoutDatabase: a scheduler whose PostgreSQL refuses connections at start
// runs the environment's schedule (ping slots reach Redis) and says so; when the database
// answers (a forwarder to the test database opens on the refused port) it seeds what is
// missing and switches to the stored schedule.
func TestSchedulerStartsWithoutDatabase(t *testing.T) {
	addr, db := testenv.RedisOpt(t)
	dbURL, err := url.Parse(testenv.DBURL(t))
	testenv.Must(t, "database url", err)
	real := dbURL.Host
	// a port nothing listens on (yet): connections are refused
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testenv.Must(t, "free port", err)
	port := l.Addr().String()
	_ = l.Close()
	dbURL.Host = port
	env := config.MapEnv(map[string]string{"WARDOPS_DATABASE_URL": dbURL.String(), "WARDOPS_REDIS_URL": fmt.Sprintf("redis://%s/%d", addr, db),
		"WARDOPS_PING_INTERVAL": "1s", "WARDOPS_PING_TIMEOUT": "500ms", "WARDOPS_SNMP_ENABLED": "false"})
	cfg, err := config.LoadScheduler(env)
	testenv.Must(t, "scheduler config", err)
	retCfg, err := retention.LoadConfig(env)
	testenv.Must(t, "retention config", err)
	ctx := testenv.Ctx(t, 60*time.Second)

	// the stored schedule (seen once the database answers) pings every 3 s
	st := store.New(testenv.NewDB(t), 5*time.Second, nil)
	testenv.Must(t, "stored schedule", st.SeedSchedule(ctx, []store.ScheduleEntry{{TaskType: tasks.TypePingCycle, Interval: 3 * time.Second, Enabled: true}}))

	pool, err := store.Open(ctx, schedulerPool(cfg))
	testenv.Must(t, "lazy pool on a refused port", err)
	defer pool.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	defer rdb.Close()
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s := NewScheduler(cfg, logger, SchedulerInputs{Store: store.New(pool, cfg.QueryTimeout, logger), Redis: rdb, Client: client,
		Owner: "nodb-test", Defaults: DefaultJobs(cfg, retCfg)})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(runCtx) }()
	defer func() { stop(); <-done }()

	insp := asynq.NewInspectorFromRedisClient(rdb)
	defer insp.Close()
	pingSlots := func() int {
		n := 0
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){insp.ListPendingTasks, insp.ListScheduledTasks} {
			ts, _ := list(tasks.QueueDefault, asynq.PageSize(1000))
			for _, ti := range ts {
				if ti.Type == tasks.TypePingCycle {
					n++
				}
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "ping slots in Redis while the database refuses", func() bool { return pingSlots() >= 2 })
	if !strings.Contains(logs.String(), "schedule database unavailable; running the environment's schedule") {
		t.Errorf("no log line says the scheduler runs the environment's schedule:\n%s", logs.String())
	}
	if j := s.Jobs(); slicesIndex(j, tasks.TypePingCycle) < 0 || j[slicesIndex(j, tasks.TypePingCycle)].Interval != time.Second {
		t.Errorf("jobs while the database is down: %+v, want the environment's 1s ping", j)
	}

	// the database answers on the port it refused
	fwd, err := net.Listen("tcp", port)
	testenv.Must(t, "listen on the refused port", err)
	defer fwd.Close()
	go forward(fwd, real)
	waitFor(t, 15*time.Second, "the stored 3s ping job running", func() bool {
		j := s.Jobs()
		i := slicesIndex(j, tasks.TypePingCycle)
		return i >= 0 && j[i].Interval == 3*time.Second
	})
	if !strings.Contains(logs.String(), "schedule database answers; running the stored schedule") {
		t.Errorf("no log line says the stored schedule runs:\n%s", logs.String())
	}
	rows, err := st.ListSchedule(ctx)
	testenv.Must(t, "list schedule", err)
	t.Logf("scheduler log:\n%s", logs.String())
	if len(rows) != len(DefaultJobs(cfg, retCfg)) {
		t.Errorf("stored schedule %+v: want the missing defaults seeded beside the stored ping job", rows)
	}
}

func slicesIndex(jobs []schedule.Job, typ string) int {
	return slices.IndexFunc(jobs, func(j schedule.Job) bool { return j.TaskType == typ })
}

// forward copies every connection l accepts to target, both ways, until l closes.
func forward(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer u.Close()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			_, _ = io.Copy(c, u)
		}()
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
