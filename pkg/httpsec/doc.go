// Package httpsec hardens WardOps' HTTP surface: strict JSON request decoding (unknown,
// duplicate and case-variant fields and trailing data are rejected with the offending field
// named), request body limits, security response headers (CSP without inline script,
// frame-ancestors 'none', nosniff, no-referrer), an http.Server with read-header, read, write
// and idle timeouts and optional TLS from certificate/key files, and the trusted-proxy rule that
// decides which client address the API believes.
//
// Errors it produces are *Error values, which render as the API's error shape
// {"error":{"code","message","field"}}. It owns the one HTTP convention of the project: a
// handler or middleware (api, auth, report, the live stream) fails by returning an *Error
// (NewError), and ErrorHandler — the echo error handler the API server installs — writes it;
// anything else becomes a logged 500 without internals. Echo's default handler renders an
// *Error the same way (it implements json.Marshaler and echo.HTTPStatusCoder).
package httpsec
