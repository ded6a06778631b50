package auth

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/store"
)

// AuditView is one audit entry as GET /api/v1/audit shows it.
type AuditView struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *int64          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Via        string          `json:"via"`
	TokenID    *int64          `json:"token_id"`
	ClientIP   *string         `json:"client_ip"`
	Action     string          `json:"action"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	Detail     json.RawMessage `json:"detail"`
}

func auditView(r store.AuditRecord) AuditView {
	v := AuditView{ID: r.ID, At: r.At, ActorID: r.ActorID, ActorName: r.ActorName, Via: r.Via, TokenID: r.TokenID,
		Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID, Before: r.Before, After: r.After, Detail: r.Detail}
	if r.ClientIP != nil {
		ip := r.ClientIP.String()
		v.ClientIP = &ip
	}
	for _, doc := range []*json.RawMessage{&v.Before, &v.After, &v.Detail} {
		if len(*doc) == 0 {
			*doc = json.RawMessage("null")
		}
	}
	return v
}

// auditParams are the query parameters GET /audit accepts; any other is refused.
var auditParams = map[string]bool{"actor": true, "action": true, "target_type": true, "target_id": true,
	"client_ip": true, "since": true, "until": true, "cursor": true, "limit": true}

// handleAudit lists audit entries newest first: ?actor=&action=(exact, or prefix with a
// trailing *)&target_type=&target_id=&client_ip=&since=&until=(RFC 3339)&limit=(1-1000,
// default 100)&cursor=(next_cursor of the previous page). Bad values answer 400 naming the
// parameter; every value reaches SQL as a bound parameter.
func (s *Service) handleAudit(c *echo.Context) error {
	f, field, msg := parseAuditFilter(c.Request().URL.Query())
	if field != "" {
		return apiError(http.StatusBadRequest, "invalid_parameter", msg, field)
	}
	recs, next, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return s.fail(c, err)
	}
	out := make([]AuditView, len(recs))
	for i, r := range recs {
		out[i] = auditView(r)
	}
	var cursor *string
	if next > 0 {
		v := strconv.FormatInt(next, 10)
		cursor = &v
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": out, "next_cursor": cursor})
}

// parseAuditFilter validates the query; on failure it returns the parameter and why.
func parseAuditFilter(q map[string][]string) (store.AuditFilter, string, string) {
	var f store.AuditFilter
	for k, vs := range q {
		if !auditParams[k] {
			return f, k, "unknown parameter"
		}
		if len(vs) != 1 {
			return f, k, "give this parameter once"
		}
		v := vs[0]
		if len(v) > 200 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return f, k, "value must be valid UTF-8 text of at most 200 bytes"
		}
		if msg := setAuditParam(&f, k, v); msg != "" {
			return f, k, msg
		}
	}
	return f, "", ""
}

func setAuditParam(f *store.AuditFilter, k, v string) string {
	var err error
	switch k {
	case "actor":
		f.Actor = NormalizeUsername(v)
	case "action":
		f.Action = v
	case "target_type":
		f.TargetType = v
	case "target_id":
		f.TargetID = v
	case "client_ip":
		var a netip.Addr
		if a, err = netip.ParseAddr(v); err != nil {
			return "must be an IP address"
		}
		a = a.Unmap()
		f.ClientIP = &a
	case "since", "until":
		var t time.Time
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			return "must be an RFC 3339 time"
		}
		if k == "since" {
			f.Since = t
		} else {
			f.Until = t
		}
	case "cursor":
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID <= 0 {
			return "must be the next_cursor of a previous page"
		}
	case "limit":
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return "must be an integer from 1 to 1000"
		}
	}
	return ""
}
