package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"github.com/redis/go-redis/v9"

	"github.com/wardops/wardops/pkg/health"
	"github.com/wardops/wardops/pkg/store"
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

// Params are the API's dependencies. Store, Redis, Client, Tasks and Health are required.
type Params struct {
	Store  *store.Store
	Redis  redis.UniversalClient
	Client Enqueuer
	Tasks  TaskReader
	Health HealthChecker
	Logger *slog.Logger
	// Series reads graph series (nil: the series route answers 503).
	Series SeriesReader
	// Monitoring is the asynqmon handler mounted at /monitoring (nil: not mounted).
	Monitoring http.Handler
	// Metrics serves /metrics (nil: not mounted).
	Metrics http.Handler
	// Middleware runs on every request, outermost first (metrics, security headers, …).
	Middleware []echo.MiddlewareFunc
}

// Server is the API: an Echo app with every route registered.
type Server struct {
	p    Params
	echo *echo.Echo
	// V1 is the /api/v1 group, for packages that add their own routes (auth, alerts, …).
	V1 *echo.Group

	list      listCache
	closing   chan struct{}
	closeOnce sync.Once
}

// New builds the Echo app and registers the core routes.
func New(p Params) *Server {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	e := echo.NewWithConfig(echo.Config{Logger: p.Logger, HTTPErrorHandler: errorHandler(p.Logger)})
	e.Use(middleware.Recover())
	e.Use(p.Middleware...)
	// 1 MiB for every body but CSV imports, which get MaxImportBody on their own route
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{LimitBytes: MaxBody,
		Skipper: func(c *echo.Context) bool { return c.Path() == importPath }}))
	s := &Server{p: p, echo: e, closing: make(chan struct{})}
	s.V1 = e.Group("/api/v1")
	s.routes()
	return s
}

// Echo returns the app, e.g. to serve it or walk its routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

// ServeHTTP makes the Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) routes() {
	g := s.V1
	g.GET("/health", s.health)
	g.GET("/openapi.yaml", s.openAPI)
	g.GET("/devices", s.listDevices)
	g.POST("/devices", s.createDevice)
	g.GET("/devices/standalone/list", s.standaloneList)
	g.POST("/devices/import", s.importDevices, middleware.BodyLimit(MaxImportBody))
	g.GET("/devices/:id", s.getDevice)
	g.PATCH("/devices/:id", s.patchDevice)
	g.DELETE("/devices/:id", s.deleteDevice)
	g.GET("/devices/:id/events", s.deviceEvents)
	g.GET("/devices/:id/series", s.deviceSeries)
	g.POST("/devices/:id/ping", s.pingDevice)
	g.GET("/tasks/:queue/:id", s.getTask)
	g.GET("/events", s.liveEvents)
	if s.p.Monitoring != nil {
		h := echo.WrapHandler(s.p.Monitoring)
		s.echo.Any("/monitoring", h)
		s.echo.Any("/monitoring/*", h)
	}
	if s.p.Metrics != nil {
		s.echo.GET("/metrics", echo.WrapHandler(s.p.Metrics))
	}
}
