package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// RedactingHandler wraps a slog.Handler and hides secrets before records reach it: attributes
// with secret-like keys (IsSecretKey) become Redacted, strings and errors pass through
// RedactString, and maps or structs logged as values are redacted field by field.
type RedactingHandler struct {
	inner slog.Handler
}

var _ slog.Handler = (*RedactingHandler)(nil)

// NewRedactingHandler wraps inner. Install it once, around the binary's root handler:
//
//	logger := slog.New(audit.NewRedactingHandler(slog.NewJSONHandler(os.Stderr, nil)))
func NewRedactingHandler(inner slog.Handler) *RedactingHandler {
	return &RedactingHandler{inner: inner}
}

// Enabled reports whether the inner handler handles level.
func (h *RedactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// Handle redacts the record's message and attributes and passes it on.
func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, RedactString(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs redacts attrs once, when the child logger is made.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return &RedactingHandler{inner: h.inner.WithAttrs(clean)}
}

// WithGroup opens a group on the inner handler.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{inner: h.inner.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, RedactString(a.Value.String()))
	case slog.KindGroup:
		g := a.Value.Group()
		clean := make([]slog.Attr, len(g))
		for i, ga := range g {
			clean[i] = redactAttr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		return slog.Attr{Key: a.Key, Value: redactAny(a.Value.Any())}
	}
	return a
}

// redactAny cleans an arbitrary value: errors and Stringers by their text, maps, slices and
// structs through their JSON form (only when redaction changed something, so ordinary values
// keep their own formatting).
func redactAny(v any) slog.Value {
	switch x := v.(type) {
	case error:
		if s := x.Error(); RedactString(s) != s {
			return slog.StringValue(RedactString(s))
		}
		return slog.AnyValue(v)
	case fmt.Stringer:
		if s := x.String(); RedactString(s) != s {
			return slog.StringValue(RedactString(s))
		}
		return slog.AnyValue(v)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return slog.AnyValue(v)
	}
	clean, changed, err := redactJSON(raw)
	if err != nil || !changed {
		return slog.AnyValue(v)
	}
	return slog.StringValue(string(clean))
}
