package worker

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/probe"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tsdb"
)

// Pinger pings many targets concurrently (probe.ProBing, or another engine).
type Pinger interface {
	PingAll(ctx context.Context, targets []probe.Target, opts probe.Options) []probe.Result
}

var _ Pinger = (*probe.ProBing)(nil)

// PingStore is what the ping handlers need from PostgreSQL.
type PingStore interface {
	EnabledDeviceIDs(ctx context.Context) ([]int64, error)
	DevicesByID(ctx context.Context, ids []int64) ([]store.Device, error)
	WritePingResults(ctx context.Context, results []store.PingResult) ([]store.StatusChange, error)
	RecentPings(ctx context.Context, ids []int64, slot time.Time, n int) (map[int64]store.PingHistory, error)
}

var _ PingStore = (*store.Store)(nil)

// SampleWriter writes samples to the time-series database.
type SampleWriter interface {
	Write(ctx context.Context, samples []tsdb.Sample) error
}

// Publisher announces live events.
type Publisher interface {
	Publish(ctx context.Context, typ string, data any) error
}

// Enqueuer is the part of *asynq.Client the handlers use.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// ProfileSource returns monitoring profiles by id (read through the Redis cache).
type ProfileSource interface {
	Get(ctx context.Context) ([]store.Profile, error)
}
