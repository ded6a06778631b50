// Package api is WardOps' HTTP surface on Echo v5: the REST API under /api/v1 (devices, status,
// on-demand tasks, health, live events), asynqmon at /monitoring and /metrics. Every error is
// JSON {"error":{"code","message","field"}}; every route is described by openapi.yaml, which a
// test keeps in step with the registered routes.
package api
