// Package audit keeps WardOps changes traceable and its secrets out of sight: the Recorder
// appends one audit_log row per write (who, when, from where, action, target, before/after), and
// the redaction rules it applies to those documents are the same ones the slog handler wrapper
// (NewRedactingHandler) applies to every log line, so an SNMP community, a password or an API
// token never reaches the audit trail or the logs in clear.
//
// The actor of a change travels in the request context (WithActor, set by pkg/auth's
// Authenticate middleware), so handlers only say what changed:
//
//	rec.Record(ctx, audit.Entry{Action: "device.update", TargetType: "device",
//		TargetID: strconv.FormatInt(id, 10), Before: old, After: updated})
//
// Recorder.Middleware is the safety net: a successful write whose handler recorded nothing still
// leaves a generic "http.<METHOD> <route>" row.
package audit
