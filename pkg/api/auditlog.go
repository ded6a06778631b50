package api

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/audit"
)

// record writes the audit entry of a handler's write with the object before and after it (nil
// for a create's before or a delete's after). pkg/audit redacts secrets (communities, auth and
// priv passwords, HMAC secrets, URL credentials, header values) before storing. A failure is
// logged by the recorder and does not undo the write.
func (s *Server) record(c *echo.Context, action, kind string, id any, before, after any) {
	_ = s.p.Auth.Audit().Record(c.Request().Context(), audit.Entry{Action: action, TargetType: kind,
		TargetID: fmt.Sprint(id), Before: before, After: after})
}

// current reads an object for an audit document; nil (not a nil pointer in an interface) when it
// cannot be read, so the entry says "absent" rather than failing the write.
func current[T any](ctx context.Context, get func(context.Context, int64) (T, error), id int64) any {
	v, err := get(ctx, id)
	if err != nil {
		return nil
	}
	return v
}
