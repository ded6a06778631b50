package auth

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
)

// ssoError is a refused single sign-on: the status and code the page carries, the message a
// person reads, and the cause, which goes to the audit trail and the log only.
type ssoError struct {
	status int
	code   string
	msg    string
	cause  error
	user   string
}

func ssoErr(status int, code, msg string, cause error) *ssoError {
	return &ssoError{status: status, code: code, msg: msg, cause: cause}
}

func errIdPDown(err error) *ssoError {
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return ssoErr(http.StatusServiceUnavailable, "idp_misconfigured", "The identity provider names itself differently "+
			"from WardOps' setting (issuer), so WardOps does not trust it. Tell an administrator.", err)
	}
	return ssoErr(http.StatusServiceUnavailable, "idp_unavailable",
		"The identity provider cannot be reached. Try again shortly, or sign in with a WardOps password.", err)
}

var ssoPage = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in refused · WardOps</title>
<link rel="icon" href="/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/css/app.css">
</head>
<body class="signed-out">
<div class="login">
<main class="card login-card" id="sso-error" data-code="{{.Code}}">
<h1>WardOps</h1>
<p class="muted">Single sign-on refused</p>
<p class="error" role="alert">{{.Msg}}</p>
<a class="btn primary" href="/">Back to sign-in</a>
</main>
</div>
</body>
</html>
`))

// ssoRefused audits and logs a refused sign-in and answers with a page saying why.
func (s *Service) ssoRefused(c *echo.Context, e *ssoError) error {
	ctx := c.Request().Context()
	cause := ""
	if e.cause != nil {
		cause = clip(e.cause.Error(), 300)
	}
	if e.code != "sso_disabled" && e.code != "throttled" { // a flood must not flood the trail too
		s.record(ctx, audit.Entry{Action: "auth.login_failed", TargetType: "user", TargetID: clip(e.user, 64),
			Detail: map[string]string{"method": "oidc", "reason": e.code, "error": cause}})
	}
	s.log.WarnContext(ctx, "single sign-on refused", "code", e.code, "err", cause)
	var b strings.Builder
	_ = ssoPage.Execute(&b, struct{ Code, Msg string }{e.code, e.msg})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(e.status, b.String())
}

// AuthMethods is the answer of GET /auth/methods: the sign-in methods the SPA offers.
type AuthMethods struct {
	Methods []string `json:"methods"`
	// OIDCLoginURL starts single sign-on (present when "oidc" is a method).
	OIDCLoginURL string `json:"oidc_login_url,omitempty"`
}

func (s *Service) handleMethods(c *echo.Context) error {
	m := AuthMethods{Methods: []string{"password"}}
	if s.oidc != nil {
		m.Methods = append(m.Methods, "oidc")
		m.OIDCLoginURL = "/api/v1/auth/oidc/login"
	}
	return c.JSON(http.StatusOK, m)
}
