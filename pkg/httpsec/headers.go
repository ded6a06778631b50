package httpsec

import (
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// DefaultCSP allows only same-origin resources and no inline script or style, no plugins, no
// framing, and form posts to the origin only. The dashboard must load its script and CSS from
// files; the only extra it may need is img-src data: for inline SVG icons.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// HeadersParams configures SecureHeaders.
type HeadersParams struct {
	// CSP is the Content-Security-Policy (default DefaultCSP).
	CSP string
	// HSTSMaxAge in seconds, sent on HTTPS requests only (default 0: no HSTS; set it to 31536000
	// once the site is served over TLS for good).
	HSTSMaxAge int
	// NoStorePrefixes are path prefixes whose answers must not be cached (default "/api/").
	NoStorePrefixes []string
}

// SecureHeaders sets the security headers on every response: Content-Security-Policy,
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer,
// Cross-Origin-Opener-Policy and -Resource-Policy: same-origin, a Permissions-Policy that turns
// off powerful features, HSTS under TLS when configured, and Cache-Control: no-store on API
// answers (they carry device data and CSRF tokens). Mount it with e.Use, first.
func SecureHeaders(p HeadersParams) echo.MiddlewareFunc {
	if p.CSP == "" {
		p.CSP = DefaultCSP
	}
	if p.NoStorePrefixes == nil {
		p.NoStorePrefixes = []string{"/api/"}
	}
	secure := middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0", // the legacy XSS auditor is itself an attack surface; CSP replaces it
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            p.HSTSMaxAge,
		HSTSExcludeSubdomains: true,
		ContentSecurityPolicy: p.CSP,
		ReferrerPolicy:        "no-referrer",
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		inner := secure(next)
		return func(c *echo.Context) error {
			h := c.Response().Header()
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
			for _, pre := range p.NoStorePrefixes {
				if strings.HasPrefix(c.Request().URL.Path, pre) {
					h.Set(echo.HeaderCacheControl, "no-store")
					break
				}
			}
			return inner(c)
		}
	}
}
