// Package httpsec hardens WardOps' HTTP surface: strict JSON request decoding (unknown,
// duplicate and case-variant fields and trailing data are rejected with the offending field
// named), request body limits, security response headers (CSP without inline script,
// frame-ancestors 'none', nosniff, no-referrer), an http.Server with read-header, read, write
// and idle timeouts and optional TLS from certificate/key files, and the trusted-proxy rule that
// decides which client address the API believes.
//
// Errors it produces are *Error values, which render as the API's error shape
// {"error":{"code","message","field"}} both through WriteError and through echo's default
// error handler (Error implements json.Marshaler and echo.HTTPStatusCoder).
package httpsec
