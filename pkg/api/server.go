package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/auth"
	"github.com/wardops/wardops/pkg/configfile"
	"github.com/wardops/wardops/pkg/events"
	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/httpsec"
	"github.com/wardops/wardops/pkg/report"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/web"
)

// Enqueuer is the part of *asynq.Client the API uses for on-demand tasks.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// TaskReader is the part of *asynq.Inspector the API uses to report task state.
type TaskReader interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// HealthChecker produces the health report.
type HealthChecker interface {
	Run(ctx context.Context) health.Report
}

// Params are the API's dependencies. Store, Redis, Client, Tasks, Health and Auth are required.
type Params struct {
	// Auth authenticates every request and guards every route; a route without a guard answers
	// 403, so a forgotten guard fails closed.
	Auth *auth.Service
	// TrustedProxies may set the client address through X-Forwarded-For (default: none).
	TrustedProxies []netip.Prefix
	// MetricsAllow are client networks that may read /metrics without a token.
	MetricsAllow []netip.Prefix
	Store        *store.Store
	Redis        redis.UniversalClient
	Client       Enqueuer
	Tasks        TaskReader
	Health       HealthChecker
	Logger       *slog.Logger
	// HealthDetail serves GET /api/v1/health/detail for admins (nil: not mounted).
	HealthDetail echo.HandlerFunc
	// Alerting serves rules, alerts, incidents, maintenance and channels (nil: no such routes).
	Alerting *Alerting
	// SNMP manages SNMP settings and reads interfaces (nil: no SNMP routes).
	SNMP SNMPManager
	// ProfileSNMP keeps profiles' SNMP defaults (nil: profiles are answered without them and
	// an snmp field is refused).
	ProfileSNMP ProfileSNMP
	// Ping is the workers' ping pacing (WARDOPS_PING_*): a ping interval must fit a cycle of it
	// and of every profile (zero: the documented defaults).
	Ping schedule.PingTiming
	// Config exports and applies configuration files (nil: no /config routes but the schema).
	Config *configfile.Service
	// Series reads graph series (nil: the series route answers 503).
	Series SeriesReader
	// Monitoring is the asynqmon handler mounted at /monitoring (nil: not mounted).
	Monitoring http.Handler
	// Metrics serves /metrics (nil: not mounted).
	Metrics http.Handler
	// Middleware runs on every request, outermost first (metrics, security headers, …).
	Middleware []echo.MiddlewareFunc
	// Hub fans live events out to the streams of GET /api/v1/events (nil: New makes one on
	// Redis with the default caps, listening to Auth's revocation notices, and CloseStreams
	// closes it).
	Hub *events.Hub
	// Streams bound each live-event stream (zero fields take the defaults).
	Streams StreamParams
}

// Server is the API: an Echo app with every route registered.
type Server struct {
	p    Params
	echo *echo.Echo
	// V1 is the /api/v1 group, for packages that add their own routes (auth, alerts, …).
	V1 *echo.Group

	list      listCache
	places    placeCache
	cuts      scopedCuts
	closing   chan struct{}
	closeOnce sync.Once
	hub       *events.Hub
	ownHub    bool // made by New, closed by CloseStreams
	// gzip compresses the long list answers (devices, alerts, incidents) when accepted
	gzip echo.MiddlewareFunc
}

// gzipMinLength: shorter answers are sent as they are (gzip would not pay for itself).
const gzipMinLength = 1024

// New builds the Echo app and registers the core routes.
func New(p Params) *Server {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	p.Streams.setDefaults()
	e := echo.NewWithConfig(echo.Config{Logger: p.Logger, HTTPErrorHandler: httpsec.ErrorHandler(p.Logger),
		OnAddRoute: p.Auth.OnAddRoute, IPExtractor: httpsec.IPExtractor(p.TrustedProxies)})
	// Order: recover from panics, security headers on every answer (errors too), metrics,
	// body limits, then who is calling (and CSRF), then the audit safety net for writes.
	e.Use(middleware.Recover())
	e.Use(httpsec.SecureHeaders(httpsec.HeadersParams{}))
	e.Use(p.Middleware...)
	e.Use(httpsec.BodyLimit(MaxBody, map[string]int64{importPath: MaxImportBody, configApplyPath: configfile.MaxFileSize}))
	e.Use(p.Auth.Authenticate)
	e.Use(p.Auth.Audit().Middleware)
	s := &Server{p: p, echo: e, closing: make(chan struct{}), list: listCache{load: loadStandalone(p.Store)},
		places: placeCache{load: p.Store.DevicePlaces}, hub: p.Hub}
	if s.hub == nil {
		s.hub, s.ownHub = events.NewHub(events.HubParams{Redis: p.Redis, Logger: p.Logger, RevokedChannel: p.Auth.RevokedChannel()}), true
	}
	// long list answers (5,000 firing alerts are 2 MB of JSON) are gzipped for clients that accept it
	s.gzip = middleware.GzipWithConfig(middleware.GzipConfig{MinLength: gzipMinLength})
	s.V1 = e.Group("/api/v1")
	s.routes()
	p.Auth.Register(s.V1)
	// the dashboard shell and its assets are public; everything it shows comes from guarded routes
	if err := web.Register(e, s.Public()); err != nil {
		panic(fmt.Sprintf("api: embedded dashboard: %v", err)) // the assets are compiled in: a broken build
	}
	return s
}

// Guards for the route families (docs/SECURITY.md).
func (s *Server) viewer() echo.MiddlewareFunc   { return s.p.Auth.Require(auth.RoleViewer) }
func (s *Server) operator() echo.MiddlewareFunc { return s.p.Auth.Require(auth.RoleOperator) }
func (s *Server) admin() echo.MiddlewareFunc    { return s.p.Auth.Require(auth.RoleAdmin) }

// Guard returns the guard of a role, for packages that add routes to V1.
func (s *Server) Guard(r auth.Role) echo.MiddlewareFunc { return s.p.Auth.Require(r) }

// FleetWide refuses scoped callers (403) on a route whose answers span the whole fleet, such
// as the task queues, for packages that add routes to V1.
func (s *Server) FleetWide() echo.MiddlewareFunc { return fleetWide }

// Public marks a route public (health, login page, static assets).
func (s *Server) Public() echo.MiddlewareFunc { return s.p.Auth.Public() }

// Echo returns the app, e.g. to serve it or walk its routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

// ServeHTTP makes the Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) routes() {
	g := s.V1
	g.GET("/health", s.health, s.Public())
	g.GET("/openapi.yaml", s.openAPI, s.viewer())
	g.GET("/devices", s.listDevices, s.viewer(), s.gzip)
	g.POST("/devices", s.createDevice, s.admin())
	g.GET("/devices/standalone/list", s.standaloneList, s.viewer())
	g.POST("/devices/import", s.importDevices, s.admin())
	g.GET("/devices/:id", s.getDevice, s.viewer())
	g.PATCH("/devices/:id", s.patchDevice, s.admin())
	g.DELETE("/devices/:id", s.deleteDevice, s.admin())
	g.GET("/devices/:id/events", s.deviceEvents, s.viewer())
	g.GET("/devices/:id/series", s.deviceSeries, s.viewer())
	g.POST("/devices/:id/ping", s.pingDevice, s.operator())
	g.GET("/tasks/:queue/:id", s.getTask, s.viewer())
	g.GET("/events", s.liveEvents, s.viewer())
	g.GET("/timeline", s.timeline, s.viewer(), s.gzip)
	s.snmpRoutes()
	s.profileRoutes()
	s.placeRoutes()
	s.alertRoutes()
	s.scheduleRoutes()
	s.configRoutes()
	g.GET("/reports/availability", report.Endpoint(s.p.Store, nil, s.p.Logger, reportScope), s.viewer())
	if s.p.HealthDetail != nil {
		g.GET("/health/detail", s.p.HealthDetail, s.admin())
	}
	if s.p.Monitoring != nil {
		// asynqmon: operators read, admins act (retry, delete, pause…)
		// (task payloads and results of every device: refused to scoped operators)
		h, guard := echo.WrapHandler(s.p.Monitoring), s.p.Auth.RequireMethods(auth.RoleOperator, auth.RoleAdmin)
		s.echo.Any("/monitoring", h, guard, fleetWide)
		s.echo.Any("/monitoring/*", h, guard, fleetWide)
	}
	if s.p.Metrics != nil {
		s.echo.GET("/metrics", echo.WrapHandler(s.p.Metrics), s.p.Auth.RequireOrAllowIP(auth.RoleViewer, s.p.MetricsAllow), fleetWide)
	}
}

// reportScope limits an availability report to the caller's scope.
func reportScope(c *echo.Context) (store.DeviceScope, error) {
	sc, err := callerScope(c)
	return sc.Device(), err
}
