package configfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"

	"github.com/wardops/wardops/pkg/audit"
	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/pkg/notify"
	"github.com/wardops/wardops/pkg/schedule"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
)

// Params are what a Service needs; Store is required.
type Params struct {
	Store *store.Store
	// Sealer seals channel secrets (nil: a file that sets a secret is refused).
	Sealer notify.Sealer
	// Policy decides where channels may send (nil: the default policy).
	Policy *notify.DestinationPolicy
	// SNMPSecrets seals and opens profiles' SNMP communities and passphrases (nil: a file
	// that sets one is refused, as by the API without WARDOPS_SECRET_KEY).
	SNMPSecrets *secrets.Box
	// Resolver reads secret references (zero: the environment and the file system).
	Resolver Resolver
	// Ping is the workers' ping pacing (WARDOPS_PING_*), which the schedule's ping interval
	// must fit, with every profile's (zero: the documented defaults).
	Ping schedule.PingTiming
	// AfterApply runs after an apply that committed changes (the API drops its caches).
	AfterApply func(ctx context.Context)
	Logger     *slog.Logger
}

// Service exports and applies configuration files.
type Service struct{ p Params }

// New returns a Service.
func New(p Params) *Service {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Ping == (schedule.PingTiming{}) {
		p.Ping = schedule.PingTiming{Count: config.DefaultPingCount, Spacing: config.DefaultPingSpacing, Timeout: config.DefaultPingTimeout}
	}
	return &Service{p: p}
}

// Options of one Apply.
type Options struct {
	// DryRun computes and checks everything, then rolls back.
	DryRun bool
	// Prune deletes the objects of the file's lists that the file does not name (devices are
	// soft-deleted); lists the file leaves out, the schedule and users are never pruned.
	Prune bool
}

// Op is what a change does.
type Op string

// Change operations.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
)

// FieldChange is one field of an updated object; secrets show as "(changed)", never values.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Change is one object created, updated or deleted.
type Change struct {
	Kind   string        `json:"kind"`
	Name   string        `json:"name"`
	Op     Op            `json:"op"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// Summary counts the changes.
type Summary struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
}

// Result is the diff of one apply, in the order the changes were made.
type Result struct {
	File    string   `json:"file"`
	DryRun  bool     `json:"dry_run"`
	Prune   bool     `json:"prune"`
	Changes []Change `json:"changes"`
	Summary Summary  `json:"summary"`
}

// errDryRun rolls a dry run back.
var errDryRun = errors.New("dry run")

// Export writes the database's configuration as a file.
func (s *Service) Export(ctx context.Context) ([]byte, error) {
	st, err := load(ctx, s.p.Store)
	if err != nil {
		return nil, fmt.Errorf("export configuration: %w", err)
	}
	return Encode(&st.file)
}

// Apply makes the database match doc in one transaction and returns the diff. A file with
// problems changes nothing and returns Errors (every problem found before writing, or the
// first one a write met); a committed apply writes the audit rows of its changes and one
// config.apply row with the summary.
func (s *Service) Apply(ctx context.Context, doc *Document, opt Options) (*Result, error) {
	res := &Result{File: doc.Name, DryRun: opt.DryRun, Prune: opt.Prune, Changes: []Change{}}
	err := s.p.Store.InTx(ctx, func(tx *store.Store) error {
		st, err := load(ctx, tx)
		if err != nil {
			return err
		}
		c := &checker{doc: doc, st: st, prune: opt.Prune, res: s.p.Resolver, secrets: map[string]notify.Secrets{},
			profileSNMP: map[string]snmp.ProfileSettings{}, deviceSNMP: map[string]snmp.Settings{}}
		c.check()
		if len(c.errs) > 0 {
			return c.errs
		}
		snmpSvc, err := snmp.New(snmp.Params{Devices: tx, Store: tx, Secrets: s.p.SNMPSecrets, Logger: s.p.Logger})
		if err != nil {
			return err
		}
		a := &applier{doc: doc, st: st, tx: tx, res: res, secrets: c.secrets, rec: audit.New(tx, s.p.Logger, nil), ping: s.p.Ping,
			profileSNMP: c.profileSNMP, deviceSNMP: c.deviceSNMP, snmp: snmpSvc,
			channels: notify.NewService(notify.ServiceParams{Channels: tx, Deliveries: tx, Sealer: s.p.Sealer, Policy: s.p.Policy, Logger: s.p.Logger})}
		if err := a.run(ctx, opt.Prune); err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return a.rec.Record(ctx, audit.Entry{Action: "config.apply", TargetType: "config", TargetID: doc.Name,
			Detail: map[string]any{"file": doc.Name, "prune": opt.Prune, "summary": res.Summary, "changes": len(res.Changes)}})
	})
	if err != nil && !errors.Is(err, errDryRun) {
		var es Errors
		if errors.As(err, &es) {
			return nil, es
		}
		return nil, fmt.Errorf("apply %s: %w", doc.Name, err)
	}
	if !opt.DryRun && len(res.Changes) > 0 && s.p.AfterApply != nil {
		s.p.AfterApply(ctx)
	}
	return res, nil
}

// WriteText prints the diff for a terminal: "+ kind name", "~ kind name" with one indented
// line per field, "- kind name", then the summary.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	signs := map[Op]string{OpCreate: "+", OpUpdate: "~", OpDelete: "-"}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "%s %s %s\n", signs[c.Op], c.Kind, c.Name)
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "    %s: %s → %s\n", f.Field, render(f.Old), render(f.New))
		}
	}
	fmt.Fprintf(&b, "%d to create, %d to update, %d to delete", r.Summary.Create, r.Summary.Update, r.Summary.Delete)
	switch {
	case r.DryRun:
		b.WriteString(" (dry run: nothing changed)\n")
	case len(r.Changes) == 0:
		b.WriteString(" (nothing to do)\n")
	default:
		b.WriteString(" (applied)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func render(v any) string {
	if v == nil {
		return "(none)"
	}
	if s, ok := v.(string); ok && strings.HasPrefix(s, "(") {
		return s // "(set)", "(changed)": secret markers
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// diff lists the fields (by yaml name, nested as "scope.devices") where a and b differ.
func diff(a, b any) []FieldChange {
	var out []FieldChange
	diffValue("", reflect.ValueOf(a), reflect.ValueOf(b), &out)
	return out
}

func diffValue(path string, a, b reflect.Value, out *[]FieldChange) {
	if a.Kind() == reflect.Struct {
		for _, f := range orderedFields(a.Type()) {
			diffValue(join(path, f.name), a.FieldByIndex(f.index), b.FieldByIndex(f.index), out)
		}
		return
	}
	if a.Kind() == reflect.Pointer && a.Type().Elem().Kind() == reflect.Struct && !a.IsNil() && !b.IsNil() {
		diffValue(path, a.Elem(), b.Elem(), out)
		return
	}
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return
	}
	*out = append(*out, FieldChange{Field: path, Old: plain(a), New: plain(b)})
}

// plain is a value for a diff: pointers followed, empty values as nil.
func plain(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.IsZero() && v.Kind() != reflect.Bool && v.Kind() != reflect.Int && v.Kind() != reflect.Float64 {
		return nil
	}
	return v.Interface()
}
