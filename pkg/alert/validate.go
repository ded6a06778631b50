package alert

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// ErrInvalid matches every *FieldError with errors.Is.
var ErrInvalid = errors.New("invalid input")

// FieldError is an input field with a bad value. The API answers it with 400
// {"error":{"code":"invalid","message":Message,"field":Field}}.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Is lets errors.Is(err, ErrInvalid) match.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// FieldName returns the offending field (for API error bodies).
func (e *FieldError) FieldName() string { return e.Field }

func invalid(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// RuleInput is a rule as the API writes it: nil fields keep the value of the rule it is
// applied to (the kind's defaults on create).
type RuleInput struct {
	Name              *string   `json:"name"`
	Description       *string   `json:"description"`
	Kind              *Kind     `json:"kind"`
	Metric            *string   `json:"metric"`
	Op                *Op       `json:"op"`
	Threshold         *float64  `json:"threshold"`
	RecoveryThreshold *float64  `json:"recovery_threshold"`
	ForCycles         *int      `json:"for_cycles"`
	RecoverCycles     *int      `json:"recover_cycles"`
	Severity          *Severity `json:"severity"`
	Scope             *Scope    `json:"scope"`
	RepeatMinutes     *int      `json:"repeat_minutes"`
	FlapChanges       *int      `json:"flap_changes"`
	FlapWindowS       *int      `json:"flap_window_s"`
	Enabled           *bool     `json:"enabled"`
}

// NewRule validates a create: kind is required; unset fields take defaults (op by kind, one
// cycle each way, recovery threshold = threshold, flapping 4 changes in 15 minutes, enabled).
func (in RuleInput) NewRule() (Rule, error) {
	if in.Kind == nil {
		return Rule{}, invalid("kind", "is required")
	}
	base := Rule{Kind: *in.Kind, Op: OpGE, ForCycles: 1, RecoverCycles: 1, Severity: SeverityWarning,
		FlapChanges: 4, FlapWindowS: 900, Enabled: true}
	if *in.Kind == KindRebooted {
		base.Op = OpLE
	}
	if in.RecoveryThreshold == nil && in.Threshold != nil {
		in.RecoveryThreshold = in.Threshold
	}
	return in.Apply(base)
}

// Apply writes the set fields onto r and validates the result (PATCH and PUT). The kind of a
// stored rule cannot change: its alerts and states belong to that kind.
func (in RuleInput) Apply(r Rule) (Rule, error) {
	if r.ID != 0 && in.Kind != nil && *in.Kind != r.Kind {
		return r, invalid("kind", "cannot change; create a new rule")
	}
	setIf(&r.Name, in.Name)
	setIf(&r.Description, in.Description)
	setIf(&r.Kind, in.Kind)
	setIf(&r.Metric, in.Metric)
	setIf(&r.Op, in.Op)
	setIf(&r.Threshold, in.Threshold)
	setIf(&r.RecoveryThreshold, in.RecoveryThreshold)
	setIf(&r.ForCycles, in.ForCycles)
	setIf(&r.RecoverCycles, in.RecoverCycles)
	setIf(&r.Severity, in.Severity)
	setIf(&r.Scope, in.Scope)
	setIf(&r.RepeatMinutes, in.RepeatMinutes)
	setIf(&r.FlapChanges, in.FlapChanges)
	setIf(&r.FlapWindowS, in.FlapWindowS)
	setIf(&r.Enabled, in.Enabled)
	r.Name = strings.TrimSpace(r.Name)
	return r, r.Validate()
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Validate checks a rule, naming the first bad field.
func (r *Rule) Validate() error {
	checks := []func() error{r.validateIdentity, r.validateThresholds, r.validateCounts, r.validateNotify}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return r.Scope.validate("scope")
}

func (r *Rule) validateIdentity() error {
	switch {
	case r.Name == "" || len(r.Name) > 200:
		return invalid("name", "must be 1 to 200 characters")
	case !r.Kind.Valid():
		return invalid("kind", fmt.Sprintf("unknown kind %q", r.Kind))
	case !r.Severity.Valid():
		return invalid("severity", "must be critical, major, minor or warning")
	case r.Kind == KindSystem && !slices.Contains(SystemMetrics, r.Metric):
		return invalid("metric", fmt.Sprintf("must be one of %s", strings.Join(SystemMetrics, ", ")))
	case r.Kind == KindExtraOID && (strings.TrimSpace(r.Metric) == "" || len(r.Metric) > 100):
		return invalid("metric", "extra_oid rules name the extra OID (1 to 100 characters)")
	case r.Kind != KindSystem && r.Kind != KindExtraOID && r.Metric != "":
		return invalid("metric", "is only for system and extra_oid rules")
	case r.Kind == KindSystem && !r.Scope.IsAll():
		return invalid("scope", "system rules have no device scope")
	case r.Scope.Interfaces != nil && !r.Kind.PerInterface():
		return invalid("scope.interfaces", "is only for if_down, if_util_pct and if_error_rate rules")
	}
	return nil
}

func (r *Rule) validateThresholds() error {
	if r.Op != OpGE && r.Op != OpLE {
		return invalid("op", `must be ">=" or "<="`)
	}
	if bad(r.Threshold) {
		return invalid("threshold", "must be a finite number")
	}
	if bad(r.RecoveryThreshold) {
		return invalid("recovery_threshold", "must be a finite number")
	}
	if !r.Kind.Thresholded() {
		return nil
	}
	if r.Op == OpGE && r.RecoveryThreshold > r.Threshold {
		return invalid("recovery_threshold", "must not be above threshold for op >=")
	}
	if r.Op == OpLE && r.RecoveryThreshold < r.Threshold {
		return invalid("recovery_threshold", "must not be below threshold for op <=")
	}
	return nil
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func (r *Rule) validateCounts() error {
	switch {
	case r.ForCycles < 1 || r.ForCycles > 1000:
		return invalid("for_cycles", "must be between 1 and 1000")
	case r.RecoverCycles < 1 || r.RecoverCycles > 1000:
		return invalid("recover_cycles", "must be between 1 and 1000")
	}
	return nil
}

func (r *Rule) validateNotify() error {
	switch {
	case r.RepeatMinutes < 0 || r.RepeatMinutes > 10080:
		return invalid("repeat_minutes", "must be between 0 (never) and 10080")
	case r.FlapChanges != 0 && (r.FlapChanges < 2 || r.FlapChanges > 100):
		return invalid("flap_changes", "must be 0 (off) or between 2 and 100")
	case r.FlapWindowS < 0 || r.FlapWindowS > 86400 || (r.FlapChanges > 0 && r.FlapWindowS == 0):
		return invalid("flap_window_s", "must be between 1 and 86400 when flap detection is on")
	}
	return nil
}

func (s Scope) validate(field string) error {
	for _, id := range s.Devices {
		if id <= 0 {
			return invalid(field+".devices", "device ids must be positive")
		}
	}
	for name, list := range map[string][]string{"regions": s.Regions, "branches": s.Branches, "types": s.Types} {
		for _, v := range list {
			if strings.TrimSpace(v) == "" {
				return invalid(field+"."+name, "values must not be empty")
			}
		}
	}
	for k := range s.Labels {
		if strings.TrimSpace(k) == "" {
			return invalid(field+".labels", "label names must not be empty")
		}
	}
	return s.Interfaces.validate(field + ".interfaces")
}

// ValidateSeverities checks a channel's severity subscription.
func ValidateSeverities(field string, list []Severity) error {
	for _, s := range list {
		if !s.Valid() {
			return invalid(field, fmt.Sprintf("unknown severity %q", s))
		}
	}
	return nil
}

// ValidateScope checks a scope (for channels), naming field in the error.
func ValidateScope(field string, s Scope) error { return s.validate(field) }
