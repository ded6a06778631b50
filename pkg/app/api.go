package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/api"
	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/bootstrap"
	"github.com/wardops/wardops/pkg/cache"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/directory"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/monitoring"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
	"github.com/wardops/wardops/pkg/tsdb"
	"github.com/wardops/wardops/pkg/workerhealth"
)

// RunAPI is the api binary: `api` serves until SIGINT/SIGTERM, `api migrate` applies the
// schema, `api user|token|tasks|schedule|profile|region|branch …` are the admin CLI. It
// returns the exit code: 2 for bad configuration or usage, 1 for a failure.
func RunAPI(args []string) int {
	cfg, err := config.LoadAPI(config.Env())
	if err != nil {
		fmt.Fprintf(os.Stderr, "api: bad configuration: %v\n", err)
		return 2
	}
	logger := bootstrap.NewLogger(os.Stderr, cfg.Common, "api")
	ctx, stop := bootstrap.SignalContext()
	defer stop()

	pool, err := store.Open(ctx, store.PoolParams{URL: cfg.DatabaseURL, MaxConns: int32(cfg.DBMaxConns), QueryTimeout: cfg.QueryTimeout, AppName: "wardops-api"})
	if err != nil {
		logger.Error("database unavailable", "err", err)
		return 1
	}
	defer pool.Close() // before Redis: `api migrate` needs only the database
	if len(args) > 0 && args[0] == "migrate" {
		if err := store.Migrate(ctx, pool, logger); err != nil {
			logger.Error("migrate", "err", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && !cliCommands[args[0]] {
		fmt.Fprintf(os.Stderr, "api: unknown command %q (commands: migrate, user, token, tasks, schedule, profile, region, branch, config)\n%s%s%s%s%s",
			args[0], auth.CLIUsage, monitoring.CLIUsage, schedule.CLIUsage, api.ConfigCLIUsage, configfile.CLIUsage)
		return 2
	}
	if cfg.MigrateOnStart || len(args) > 0 {
		if err := store.Migrate(ctx, pool, logger); err != nil {
			logger.Error("migrate", "err", err)
			return 1
		}
	}
	redisOpt, rdb, err := bootstrap.Redis(ctx, cfg.RedisURL)
	if err != nil {
		logger.Error("redis unavailable", "err", err)
		return 1
	}
	defer rdb.Close()
	st := store.New(pool, cfg.QueryTimeout, logger)
	authParams, err := identityParams(cfg, logger)
	if err != nil {
		logger.Error("identity configuration", "err", err)
		return 2
	}
	authParams.Store, authParams.Redis, authParams.Logger = st, rdb, logger
	authParams.SessionIdle, authParams.SessionAbsolute = cfg.SessionIdle, cfg.SessionAbsolute
	authParams.CookieSecure = cfg.CookieSecure || cfg.TLSCertFile != ""
	authParams.OIDC = oidcParams(cfg.OIDC)
	svc, err := auth.NewService(authParams)
	if err != nil {
		logger.Error("auth service", "err", err)
		return 1
	}
	if len(args) > 0 && args[0] == "tasks" { // api tasks …
		return runTasksCLI(ctx, args[1:], rdb, svc)
	}
	if len(args) > 0 && configObjects[args[0]] { // api profile|region|branch …
		return runConfigCLI(ctx, args, cfg, st, rdb, svc)
	}
	if len(args) > 0 && args[0] == "config" { // api config export|apply|schema
		return runConfigFileCLI(ctx, args[1:], cfg, st, rdb)
	}
	if len(args) > 0 && args[0] == "schedule" { // api schedule …
		return runScheduleCLI(ctx, args[1:], cfg, st, rdb, svc)
	}
	if len(args) > 0 { // api user … / api token …
		return runCLI(ctx, args, svc)
	}
	if created, err := svc.Bootstrap(ctx, cfg.AdminPassword); err != nil {
		logger.Error("create the first admin", "err", err)
		return 1
	} else if created {
		logger.Info("created user admin from WARDOPS_ADMIN_PASSWORD")
	}
	return serveAPI(ctx, stop, cfg, logger, APIInputs{Store: st, Redis: rdb, RedisOpt: redisOpt, Auth: svc})
}

// oidcParams turns the single sign-on config into the auth service's (nil: off). The config
// has already checked every role name.
func oidcParams(c config.OIDC) *auth.OIDCParams {
	if !c.Enabled() {
		return nil
	}
	roles := make(map[string]auth.OIDCGrant, len(c.Roles))
	for v, r := range c.Roles {
		role, _ := auth.ParseRole(r.Role)
		roles[v] = auth.OIDCGrant{Role: role, Regions: r.Regions, Branches: r.Branches}
	}
	return &auth.OIDCParams{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: c.RedirectURL, Scopes: c.Scopes, RoleClaim: c.RoleClaim, UsernameClaim: c.UsernameClaim, Roles: roles}
}

func runCLI(ctx context.Context, args []string, svc *auth.Service) int {
	err := auth.RunCLI(ctx, args, svc, os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, auth.ErrUsage):
		fmt.Fprintf(os.Stderr, "api: %v\n%s", err, auth.CLIUsage)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	return 0
}

// identityParams builds the sign-in parts of the auth service: the TOTP secret box, the
// admins-must-enrol rule and, when WARDOPS_LDAP_URL is set, the directory.
func identityParams(cfg config.API, logger *slog.Logger) (auth.Params, error) {
	box, err := bootstrap.SecretBox(cfg.SecretKey)
	if err != nil {
		return auth.Params{}, err
	}
	p := auth.Params{Secrets: box, RequireTOTPAdmins: cfg.RequireTOTPAdmins}
	if cfg.LDAP.Enabled() {
		d, err := directory.New(cfg.LDAP, logger.With("component", "directory"))
		if err != nil {
			return p, err
		}
		p.Directory, p.DirectoryRefresh = d, cfg.LDAP.Refresh
		logger.Info("directory sign-in on", "url", cfg.LDAP.URL, "groups", len(cfg.LDAP.Groups))
	}
	return p, nil
}

func runTasksCLI(ctx context.Context, args []string, rdb redis.UniversalClient, svc *auth.Service) int {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	defer insp.Close()
	err := monitoring.RunCLI(ctx, args, monitoring.NewControl(insp, svc.Audit(), tasks.Queues()), os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, monitoring.ErrUsage):
		fmt.Fprintf(os.Stderr, "api: %v\n%s\n", err, monitoring.CLIUsage)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	return 0
}

// cliCommands are the first arguments the api binary takes besides none (serve).
var cliCommands = map[string]bool{"user": true, "token": true, "tasks": true, "profile": true, "region": true, "branch": true, "schedule": true, "config": true}

// configObjects are the objects of `api profile|region|branch …`.
var configObjects = map[string]bool{"profile": true, "region": true, "branch": true}

func runConfigCLI(ctx context.Context, args []string, cfg config.API, st *store.Store, rdb redis.UniversalClient, svc *auth.Service) int {
	box, err := bootstrap.SecretBox(cfg.SecretKey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 2
	}
	snmpSvc, err := snmp.New(snmp.Params{Devices: st, Store: st, Secrets: box})
	if err != nil {
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	err = api.RunConfigCLI(ctx, args, api.ConfigCLIParams{Store: st, Redis: rdb, ProfileSNMP: snmpSvc, Audit: svc.Audit()}, os.Stdout)
	switch {
	case errors.Is(err, api.ErrCLIUsage):
		fmt.Fprintf(os.Stderr, "api: %v\n%s", err, api.ConfigCLIUsage)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	return 0
}

// runConfigFileCLI runs `api config …`: a refused file prints one error a line and exits 1.
func runConfigFileCLI(ctx context.Context, args []string, cfg config.API, st *store.Store, rdb redis.UniversalClient) int {
	box, err := bootstrap.SecretBox(cfg.SecretKey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 2
	}
	svc := configfile.New(configfile.Params{Store: st, Sealer: box, SNMPSecrets: box, Policy: notify.NewDestinationPolicy(cfg.NotifyAllow), Ping: PingTiming(cfg.Ping),
		AfterApply: func(ctx context.Context) { _ = rdb.Del(ctx, cache.ProfilesKey).Err() }})
	err = configfile.RunCLI(ctx, args, svc, os.Stdout)
	var es configfile.Errors
	switch {
	case errors.Is(err, configfile.ErrUsage):
		fmt.Fprintf(os.Stderr, "api: %v\n%s", err, configfile.CLIUsage)
		return 2
	case errors.As(err, &es):
		fmt.Fprintln(os.Stderr, es.Error())
		return 1
	case err != nil:
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	return 0
}

// PingTiming is the worker's ping pacing from its WARDOPS_PING_* settings, which schedule edits
// are checked against (the API reads the same variables as the workers).
func PingTiming(p config.Ping) schedule.PingTiming {
	return schedule.PingTiming{Count: p.Count, Spacing: p.Spacing, Timeout: p.Timeout}
}

func runScheduleCLI(ctx context.Context, args []string, cfg config.API, st *store.Store, rdb redis.UniversalClient, svc *auth.Service) int {
	err := schedule.RunCLI(ctx, args, schedule.CLIParams{Store: st, Redis: rdb, Audit: svc.Audit(), Ping: PingTiming(cfg.Ping), Out: os.Stdout})
	switch {
	case errors.Is(err, schedule.ErrUsage):
		fmt.Fprintf(os.Stderr, "api: %v\n%s", err, schedule.CLIUsage)
		return 2
	case err != nil:
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		return 1
	}
	return 0
}

// APIInputs are what the API graph is built on: the connections and the auth service.
type APIInputs struct {
	Store    *store.Store
	Redis    redis.UniversalClient
	RedisOpt asynq.RedisConnOpt
	Auth     *auth.Service
}

// API is the api binary's graph: the HTTP handler (REST API, dashboard, asynqmon, /metrics)
// and the background work it owns (queue metrics export, the no-worker watchdog), which runs
// until the ctx given to NewAPI ends.
type API struct {
	// Server is the HTTP handler.
	Server *api.Server
	hub    *events.Hub
	mon    *monitoring.UI
	insp   *asynq.Inspector
	client *asynq.Client
	stopM  func()
}

// NewAPI builds the API graph from its configuration and starts its background work on ctx.
// Close releases it after the HTTP server has drained.
func NewAPI(ctx context.Context, cfg config.API, logger *slog.Logger, d APIInputs) (*API, error) {
	client := asynq.NewClientFromRedisClient(d.Redis)
	inspector := asynq.NewInspectorFromRedisClient(d.Redis)
	a := &API{insp: inspector, client: client, stopM: func() {}}
	fail := func(what string, err error) (*API, error) {
		a.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	mon, err := monitoring.NewUI(monitoring.UIParams{RedisConnOpt: d.RedisOpt, MetricsURL: cfg.VMURL, Logger: logger.With("component", "asynqmon")})
	if err != nil {
		return fail("asynqmon", err)
	}
	a.mon = mon
	// asynqmon's Metrics tab reads these queue series from VictoriaMetrics
	go monitoring.NewExporter(monitoring.ExporterParams{Queues: tasks.Queues(), Inspector: inspector, URL: cfg.VMURL,
		Labels: map[string]string{"job": "wardops-api"}, Logger: logger.With("component", "queue-metrics")}).Run(ctx)
	querier, err := tsdb.NewQuerier(cfg.VMURL, nil)
	if err != nil {
		return fail("victoriametrics url", err)
	}
	spool := tsdb.NewSpool(d.Store.Pool(), int64(cfg.SpoolMaxSamples))
	box, err := bootstrap.SecretBox(cfg.SecretKey)
	if err != nil {
		return fail("secret key", &ConfigError{err})
	}
	if err := snmp.CheckSecretKey(ctx, d.Store, box); err != nil {
		return fail("refusing to start without WARDOPS_SECRET_KEY", &ConfigError{err})
	}
	// webhook rows written before URL credentials and header values were sealed: seal them now
	// (idempotent); without a key they stay in the row, but answers never show them
	switch n, err := notify.SealClearSecrets(ctx, d.Store, sealerOrNil(box), logger.With("component", "notify")); {
	case errors.Is(err, notify.ErrClearSecretsUnsealed):
		logger.Warn("webhook channels keep secrets in clear in the database until WARDOPS_SECRET_KEY is set", "channels", n)
	case err != nil:
		return fail("seal webhook channel secrets", err)
	case n > 0:
		logger.Info("sealed webhook channel secrets held in clear", "channels", n)
	}
	policy := notify.NewDestinationPolicy(cfg.NotifyAllow)
	snmpSvc, err := snmp.New(snmp.Params{Devices: d.Store, Store: d.Store, Secrets: box, Logger: logger.With("component", "snmp")})
	if err != nil {
		return fail("snmp service", err)
	}
	reg := selfmetrics.New("api")
	a.stopM = reg.Start(ctx, "off", cfg.MetricsPushURL, logger)
	reg.QueueGauges(inspector, tasks.Queues())
	// one Redis subscription for every live stream of this process, which also hears the
	// revocation notices of every replica
	a.hub = events.NewHub(events.HubParams{Redis: d.Redis, Logger: logger.With("component", "events"),
		RevokedChannel: d.Auth.RevokedChannel(), MaxStreams: cfg.Streams.MaxStreams, MaxPerUser: cfg.Streams.MaxPerUser,
		Metrics: reg.Set()})
	started := time.Now()
	checker := health.NewChecker(map[string]health.Check{
		"database":        health.Ping("database", d.Store.Pool(), 500*time.Millisecond),
		"redis":           health.Ping("redis", redisPinger{d.Redis}, 200*time.Millisecond),
		"victoriametrics": vmCheck(querier, spool),
		// live servers and queues, plus the 5-minute worker-health sample (stale: a stopped scheduler or worker)
		"workers": workerhealth.Check(d.Store, health.Workers(inspector, health.WorkerThresholds{MinWorkers: cfg.MinWorkers,
			DegradedPending: 1000, CriticalPending: 5000}), 0, nil),
		"disk_space": health.Disk(cfg.DiskPath, 15, 5),
		"api": func(context.Context) health.Component {
			return health.Component{Level: health.Healthy, Reason: fmt.Sprintf("up %s, %d goroutines", time.Since(started).Round(time.Second), runtime.NumGoroutine())}
		},
	}, 2*time.Second)
	a.Server = api.New(api.Params{Store: d.Store, Redis: d.Redis, Client: client, Tasks: inspector, Health: checker,
		Logger: logger, Monitoring: mon, Series: querier, SNMP: snmpSvc, ProfileSNMP: snmpSvc,
		HealthDetail: workerhealth.DetailEndpoint(workerhealth.DetailParams{Health: checker, Pool: d.Store.Pool(), Redis: d.Redis,
			Inspector: inspector, Spool: spool, Store: d.Store}),
		Alerting: &api.Alerting{
			Alerts: alert.NewService(alert.ServiceParams{Rules: d.Store, Acks: d.Store, Enqueuer: client,
				RuleCache: alert.NewRuleCache(d.Redis, d.Store.EnabledAlertRules), Publisher: events.NewPublisher(d.Redis), Logger: logger}),
			Channels: notify.NewService(notify.ServiceParams{Channels: d.Store, Deliveries: d.Store, Sealer: box, Policy: policy, Logger: logger}),
		},
		Config: configfile.New(configfile.Params{Store: d.Store, Sealer: box, SNMPSecrets: box, Policy: policy, Ping: PingTiming(cfg.Ping),
			Logger: logger.With("component", "config")}),
		Ping:    PingTiming(cfg.Ping),
		Metrics: reg.Endpoint(), Auth: d.Auth,
		TrustedProxies: cfg.TrustedProxies, MetricsAllow: cfg.MetricsAllow,
		Middleware: []echo.MiddlewareFunc{reg.EchoMiddleware()},
		Hub:        a.hub, Streams: api.StreamParams{MaxLife: cfg.Streams.MaxLife}})
	monitoring.Register(a.Server, monitoring.NewControl(inspector, d.Auth.Audit(), tasks.Queues()))
	// With every worker gone nothing runs the worker-health task: the API pages "No workers" itself.
	go workerhealth.NewWatchdog(workerhealth.WatchdogParams{Inspector: inspector, Spool: spool, Store: d.Store,
		Pass: alert.NewEvaluator(alert.EvaluatorParams{Repo: d.Store, Rules: alert.NewRuleCache(d.Redis, d.Store.EnabledAlertRules),
			Publisher: events.NewPublisher(d.Redis), Logger: logger.With("component", "watchdog"),
			Enqueuer: workerhealth.InlineDelivery{Queue: client, Logger: logger.With("component", "watchdog"),
				Handler: notify.NewHandler(notify.HandlerParams{Store: d.Store, Sealer: box, Policy: policy, Logger: logger.With("component", "notify")})}}),
		Logger: logger.With("component", "watchdog")}).Run(ctx)
	return a, nil
}

// Close ends the live streams' hub and the clients the handlers used; call it after the HTTP
// server has drained (CloseStreams first).
func (a *API) Close() {
	if a.hub != nil {
		_ = a.hub.Close()
	}
	if a.mon != nil {
		_ = a.mon.Close()
	}
	a.stopM()
	_ = a.insp.Close()
	_ = a.client.Close()
}

// ConfigError is a build failure caused by the configuration (exit code 2).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// exitCode is 2 for a configuration error, else 1.
func exitCode(err error) int {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return 2
	}
	return 1
}

// serveAPI builds the API graph, serves it until ctx ends and shuts it down in order.
func serveAPI(ctx context.Context, stop context.CancelFunc, cfg config.API, logger *slog.Logger, d APIInputs) int {
	a, err := NewAPI(ctx, cfg, logger, d)
	if err != nil {
		logger.Error("api", "err", err)
		return exitCode(err)
	}
	hs, err := httpsec.NewServer(httpsec.ServerParams{Addr: cfg.HTTPAddr, Handler: a.Server,
		TLSCertFile: cfg.TLSCertFile, TLSKeyFile: cfg.TLSKeyFile, Logger: logger})
	if err != nil {
		logger.Error("http server", "err", err)
		a.Close()
		return 1
	}
	errc := make(chan error, 1)
	go func() { errc <- httpsec.ListenAndServe(hs) }()
	logger.Info("api listening", "addr", cfg.HTTPAddr, "url", "http://127.0.0.1"+portOf(cfg.HTTPAddr)+"/")
	select {
	case err := <-errc:
		logger.Error("http server", "err", err)
		a.Close()
		return 1
	case <-ctx.Done():
	}
	stop() // a second SIGINT/SIGTERM now kills the process at once
	logger.Info("shutting down")
	// Order: end live streams first (they never finish on their own; each is told "shutdown"),
	// then stop accepting and drain in-flight requests, then close the clients those requests
	// used, the hub's Redis subscription among them.
	a.Server.CloseStreams()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("drain connections", "err", err)
	}
	a.Close()
	return 0
}

// vmCheck is the victoriametrics health line: reachability plus the outage spool (degraded
// while samples wait, critical when the spool is full and drops the oldest).
func vmCheck(q *tsdb.Querier, spool *tsdb.Spool) health.Check {
	return func(ctx context.Context) health.Component {
		st, err := spool.Status(ctx)
		if err != nil {
			return health.Component{Level: health.Degraded, Reason: fmt.Sprintf("spool status unavailable: %v", err)}
		}
		line := tsdb.Health(st, q.Ping(ctx))
		level, reason, _ := strings.Cut(line, ": ")
		return health.Component{Level: level, Reason: reason, Detail: map[string]any{
			"spooled_samples": st.Samples, "spool_oldest_s": st.OldestAge.Seconds(), "dropped": st.Dropped}}
	}
}

// sealerOrNil keeps a nil *secrets.Box from becoming a non-nil notify.Sealer.
func sealerOrNil(box *secrets.Box) notify.Sealer {
	if box == nil {
		return nil
	}
	return box
}

type redisPinger struct{ rdb redis.UniversalClient }

func (r redisPinger) Ping(ctx context.Context) error { return r.rdb.Ping(ctx).Err() }

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i:]
		}
	}
	return ""
}
