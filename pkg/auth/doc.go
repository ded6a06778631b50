// Package auth decides who may do what in WardOps: users with roles (viewer < operator <
// admin) and argon2id password hashes, dashboard sessions in Redis (HttpOnly cookie, idle and
// absolute expiry, CSRF token bound to the session), API bearer tokens (random, shown once,
// stored as SHA-256, role-scoped, expiring, revocable), throttled sign-in, and the route guards
// with the registry a route-audit test reads.
//
// Wiring, in cmd/api (order matters):
//
//	svc, err := auth.NewService(auth.Params{Store: st, Redis: rdb, Logger: logger, ...})
//	e := echo.New()
//	e.OnAddRoute = svc.OnAddRoute        // before any route: records each route's guards
//	e.IPExtractor = httpsec.IPExtractor(trustedProxies)
//	e.Use(httpsec.SecureHeaders(httpsec.HeadersParams{}))
//	e.Use(httpsec.BodyLimit(0, nil))
//	e.Use(svc.Authenticate)              // caller, CSRF, fail-closed for unguarded routes
//	e.Use(svc.Audit().Middleware)        // audit safety net for writes
//	v1 := e.Group("/api/v1")
//	v1.GET("/health", health, svc.Public())
//	v1.GET("/devices", listDevices, svc.Require(auth.RoleViewer))
//	svc.Register(v1)                     // /auth/*, /users, /tokens, /audit
//
// Every route needs exactly one kind of guard: Public(), Require(role), RequireMethods(read,
// write) or RequireOrAllowIP(role, nets). Authenticate refuses (403) any route OnAddRoute saw
// without one, so a forgotten guard fails closed; RouteTable lists every route's rule for the
// route-audit test.
//
// Sign-in: a local account (source local) signs in with its argon2id password, and, when it
// has two-factor on, a TOTP or recovery code in a second step (totp.go). Any other name goes
// to the Directory (Params.Directory, AD/LDAP via pkg/directory) when one is configured; its
// groups give the role, are re-read every DirectoryRefresh for live sessions, and the user row
// is kept as source ldap (signin_directory.go). Local accounts stay the break-glass way in.
//
// Sessions live in Redis rather than PostgreSQL: every dashboard request reads its session,
// and the idle deadline moves on each one, which suits an in-memory store with TTLs; losing
// Redis only signs everybody out. The session id is stored as its SHA-256, so a copy of Redis
// holds no usable session.
//
// Single sign-on (Params.OIDC, oidc*.go): authorization code flow with PKCE against an OpenID
// Provider, the ID token verified with go-oidc, a claim mapped to a role; the user is found by
// issuer and subject and then gets the same session as a password sign-in. Tests run it
// against a real provider on loopback (package oidctest).
package auth
