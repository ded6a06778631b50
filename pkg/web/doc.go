// Package web is the NOC dashboard: a single-page application of plain HTML, CSS and
// JavaScript embedded in the api binary (a bank intranet has no CDN) and served by Dashboard.
// The browser talks only to the REST API under /api/v1 and its live-event stream; this package
// holds no data access of its own.
//
// Every asset is compressed once at start and served with a strong ETag, so a dashboard left
// open on a wall revalidates with 304s. index.html carries no inline script or style, so the
// API's Content-Security-Policy (default-src 'self', no 'unsafe-inline') applies unchanged.
//
// Wiring (cmd/api, after the auth service's OnAddRoute hook is set):
//
//	dash, err := web.New()
//	dash.Register(e, svc.Public()) // GET /, /static/*, /favicon.ico: public, the data is not
//
// See docs/DASHBOARD.md for the pages, the chart decision and the benchmark.
package web
