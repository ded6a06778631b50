package chaos_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/testinfra/chaos"
	"github.com/wardops/wardops/testinfra/testenv"
)

// TestRedisSentinelURL: WARDOPS_REDIS_URL=redis-sentinel://HOST:PORT?master=NAME (docs/DEPLOY.md)
// is accepted by the configuration, reaches the master through the Sentinel, carries asynq
// tasks, and a real scheduler process takes its lease through it.
func TestRedisSentinelURL(t *testing.T) {
	master := chaos.NewRedis(t)
	sentinel := chaos.NewSentinel(t, master, "wardops")
	url := "redis-sentinel://" + sentinel.Addr() + "?master=wardops"
	// the scheduler reads its jobs from PostgreSQL (a migrated test database)
	env := map[string]string{"WARDOPS_REDIS_URL": url, "WARDOPS_METRICS_ADDR": "off", "WARDOPS_LEADER_TTL": "3s",
		"WARDOPS_DATABASE_URL": testenv.DBURL(t)}
	if _, err := config.LoadScheduler(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatalf("configuration refuses the Sentinel URL: %v", err)
	}
	ctx := testenv.Ctx(t, time.Minute)
	opt, rdb, err := bootstrap.Redis(ctx, url)
	testenv.Must(t, "connect through the Sentinel", err)
	t.Cleanup(func() { _ = rdb.Close() })
	client := asynq.NewClientFromRedisClient(rdb)
	t.Cleanup(func() { _ = client.Close() })
	_, err = client.EnqueueContext(ctx, asynq.NewTask("sentinel:probe", nil), asynq.TaskID("probe-1"))
	testenv.Must(t, "enqueue through the Sentinel", err)
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: master.Addr()})
	t.Cleanup(func() { _ = insp.Close() })
	if _, err := insp.GetTaskInfo("default", "probe-1"); err != nil {
		t.Errorf("the task enqueued through the Sentinel is not on the master: %v", err)
	}
	if _, ok := opt.(asynq.RedisFailoverClientOpt); !ok {
		t.Errorf("asynq option %T, want RedisFailoverClientOpt", opt)
	}

	sched := chaos.NewProc(t, "scheduler", filepath.Join(binDir, "scheduler"), t.TempDir(), env)
	sched.Start()
	mc := master.Client()
	deadline := time.Now().Add(20 * time.Second)
	for {
		owner, err := mc.Get(context.Background(), schedule.LeaseKey).Result()
		if err == nil && owner != "" {
			break
		}
		if time.Now().After(deadline) || !sched.Running() {
			t.Fatalf("the scheduler did not take its lease through the Sentinel:\n%s", sched.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := sched.Stop(10 * time.Second); code != 0 {
		t.Errorf("scheduler exited %d after SIGTERM", code)
	}
	if n, _ := mc.Exists(context.Background(), schedule.LeaseKey).Result(); n != 0 {
		t.Error("the scheduler kept its lease after a clean stop (the standby would wait for its expiry)")
	}
}
