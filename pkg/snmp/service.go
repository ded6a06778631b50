package snmp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/store"
)

// Defaults of Params.
const (
	// DefaultConcurrency is the number of devices of one batch polled at once.
	DefaultConcurrency = 50
	// DefaultDeviceBudget bounds one device's whole poll (all its round trips).
	DefaultDeviceBudget = 30 * time.Second
)

// ErrNotConfigured is returned for a device without SNMP settings (neither its own nor its
// profile's).
var ErrNotConfigured = errors.New("device has no SNMP settings")

// Devices looks devices up by id (implemented by *store.Store).
type Devices interface {
	DevicesByID(ctx context.Context, ids []int64) ([]store.Device, error)
}

// PollStore is the persistence of polling (implemented by *store.Store).
type PollStore interface {
	SNMPConfigs(ctx context.Context, ids []int64) (map[int64]store.SNMPDeviceConfig, error)
	SNMPPrevious(ctx context.Context, ids []int64) (map[int64]store.SNMPPrevious, error)
	SaveSNMPPolls(ctx context.Context, recs []store.SNMPPollRecord) error
}

// SettingsStore keeps device and profile SNMP settings (implemented by *store.Store).
type SettingsStore interface {
	DeviceSNMPConfig(ctx context.Context, deviceID int64) (store.SNMPConfig, error)
	PutDeviceSNMPConfig(ctx context.Context, deviceID int64, c store.SNMPConfig) error
	DeleteDeviceSNMPConfig(ctx context.Context, deviceID int64) error
	ProfileSNMPConfig(ctx context.Context, profileID int64) (store.SNMPProfileConfig, error)
	PutProfileSNMPConfig(ctx context.Context, profileID int64, p store.SNMPProfileConfig) error
	DeleteProfileSNMPConfig(ctx context.Context, profileID int64) error
}

// StateReader reads the latest SNMP state for the API (implemented by *store.Store).
type StateReader interface {
	SNMPDeviceState(ctx context.Context, deviceID int64) (store.SNMPDeviceState, error)
	SNMPInterfaces(ctx context.Context, deviceID int64) ([]store.SNMPInterface, error)
	SetInterfaceRole(ctx context.Context, deviceID, ifIndex int64, role string) (string, error)
}

// Store is everything the Service persists; *store.Store implements it.
type Store interface {
	PollStore
	SettingsStore
	StateReader
}

var (
	_ Devices = (*store.Store)(nil)
	_ Store   = (*store.Store)(nil)
)

// Params configure New.
type Params struct {
	// Devices and Store are required (both are *store.Store in the binaries).
	Devices Devices
	Store   Store
	// Samples receives the time series of batch polls (required for ProcessBatch).
	Samples SampleWriter
	// Secrets opens and seals stored communities and passphrases; nil when WARDOPS_SECRET_KEY
	// is not set (then devices with secrets fail with a config error and secrets cannot be saved).
	Secrets *secrets.Box
	// Logger (default: discard).
	Logger *slog.Logger
	// Metrics receives the package's counters (default: a private set).
	Metrics *metrics.Set
	// Concurrency is the number of devices of a batch polled at once (default 50).
	Concurrency int
	// DeviceBudget bounds one device's poll (default 30 s).
	DeviceBudget time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service polls devices over SNMP and manages their SNMP settings: the asynq handlers of
// snmp:batch and snmp:test, the synchronous test the API calls, and the settings and state
// reads of the device pages. It is safe for concurrent use.
type Service struct {
	p      Params
	poller *Poller
	m      serviceMetrics
}

// New returns a Service.
func New(p Params) (*Service, error) {
	if p.Devices == nil || p.Store == nil {
		return nil, errors.New("snmp: Params.Devices and Params.Store are required")
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Metrics == nil {
		p.Metrics = metrics.NewSet()
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.DeviceBudget <= 0 {
		p.DeviceBudget = DefaultDeviceBudget
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return &Service{p: p, poller: &Poller{dial: dialGoSNMP, now: p.Now}, m: newServiceMetrics(p.Metrics)}, nil
}

// SecretCounter counts stored secrets (implemented by *store.Store).
type SecretCounter interface {
	CountSealedSNMPSecrets(ctx context.Context) (int64, error)
}

var _ SecretCounter = (*store.Store)(nil)

// CheckSecretKey returns an error wrapping secrets.ErrNoKey when SNMP secrets are stored but
// no key is configured (box == nil): the binaries refuse to start then.
func CheckSecretKey(ctx context.Context, c SecretCounter, box *secrets.Box) error {
	if box != nil {
		return nil
	}
	n, err := c.CountSealedSNMPSecrets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d SNMP settings hold encrypted secrets: %w", n, secrets.ErrNoKey)
	}
	return nil
}

type serviceMetrics struct {
	set *metrics.Set
}

func newServiceMetrics(set *metrics.Set) serviceMetrics { return serviceMetrics{set: set} }

func (m serviceMetrics) batch(result string) {
	m.set.GetOrCreateCounter(`wardops_snmp_batches_total{result="` + result + `"}`).Inc()
}

// pollBuckets (seconds) of wardops_snmp_poll_duration_seconds: a poll is bounded by the SNMP
// timeout and retries, seconds at most.
var pollBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func (m serviceMetrics) poll(kind ErrorKind, took time.Duration) {
	k := string(kind)
	if k == "" {
		k = "ok"
	}
	m.set.GetOrCreateCounter(`wardops_snmp_polls_total{result="` + k + `"}`).Inc()
	// le buckets (not the library's vmrange ones), which Prometheus tools understand
	m.set.GetOrCreatePrometheusHistogramExt(`wardops_snmp_poll_duration_seconds`, pollBuckets).Update(took.Seconds())
}

func (m serviceMetrics) notComputed(counts map[RateStatus]int) {
	for s, n := range counts {
		m.set.GetOrCreateCounter(`wardops_snmp_rates_dropped_total{reason="` + s.String() + `"}`).Add(n)
	}
}

func (m serviceMetrics) unconfigured(n int) {
	m.set.GetOrCreateCounter(`wardops_snmp_devices_unconfigured_total`).Add(n)
}
