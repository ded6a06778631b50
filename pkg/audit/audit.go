package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// Writer stores audit records; *store.Store implements it.
type Writer interface {
	InsertAudit(ctx context.Context, r store.AuditRecord) (int64, error)
}

var _ Writer = (*store.Store)(nil)

// Entry is one change to record. Before, After and Detail are any JSON-marshalable values
// (structs, maps); their secret-looking fields are redacted before they are stored.
type Entry struct {
	// Action names the change, "<object>.<verb>": "device.update", "user.create", "auth.login".
	Action string
	// TargetType and TargetID name the changed object ("device", "12").
	TargetType string
	TargetID   string
	Before     any
	After      any
	Detail     any
	// Actor overrides the actor carried by ctx (the CLI and background jobs set it).
	Actor *Actor
}

// Recorder appends entries to the audit trail. It is safe for concurrent use.
type Recorder struct {
	w      Writer
	logger *slog.Logger
	now    func() time.Time
}

// New returns a Recorder writing to w. now may be nil (time.Now).
func New(w Writer, logger *slog.Logger, now func() time.Time) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{w: w, logger: logger, now: now}
}

// Record redacts e and appends it, attributed to the actor in ctx (or e.Actor). A failure is
// logged at ERROR with the (redacted) entry, so a log shipper still sees the change, and
// returned.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	markRecorded(ctx)
	rec, err := r.toRecord(ctx, e)
	if err == nil {
		_, err = r.w.InsertAudit(ctx, rec)
	}
	if err != nil {
		r.logger.ErrorContext(ctx, "audit record not written", "action", e.Action, "target_type", e.TargetType,
			"target_id", e.TargetID, "actor", rec.ActorName, "before", string(rec.Before),
			"after", string(rec.After), "err", err)
		return fmt.Errorf("record audit %s: %w", e.Action, err)
	}
	return nil
}

func (r *Recorder) toRecord(ctx context.Context, e Entry) (store.AuditRecord, error) {
	a := ActorFrom(ctx)
	if e.Actor != nil {
		a = *e.Actor
	}
	rec := store.AuditRecord{At: r.now(), ActorName: cleanText(a.Name), Via: a.Via, Action: cleanText(e.Action),
		TargetType: cleanText(e.TargetType), TargetID: cleanText(e.TargetID)}
	if a.UserID != 0 {
		rec.ActorID = &a.UserID
	}
	if a.TokenID != 0 {
		rec.TokenID = &a.TokenID
	}
	if a.ClientIP.IsValid() {
		ip := a.ClientIP.Unmap()
		rec.ClientIP = &ip
	}
	var err error
	for _, d := range []struct {
		v   any
		out *json.RawMessage
	}{{e.Before, &rec.Before}, {e.After, &rec.After}, {e.Detail, &rec.Detail}} {
		if *d.out, err = Redact(d.v); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// cleanText makes s storable as PostgreSQL text: valid UTF-8 without NUL bytes.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
