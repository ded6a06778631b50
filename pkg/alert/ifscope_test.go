package alert

import (
	"errors"
	"regexp"
	"testing"
)

func TestIfScopeMatches(t *testing.T) {
	up := Interface{Name: "Gi0/1", Alias: "[uplink] to core-01", Role: "uplink"}
	acc := Interface{Name: "Gi0/24", Alias: "desk 12", Role: "access"}
	tests := []struct {
		name  string
		scope *IfScope
		f     Interface
		want  bool
	}{
		{"nil scope holds all", nil, acc, true},
		{"name glob", &IfScope{Names: []string{"gi0/*"}}, acc, true},
		{"name glob is whole-name", &IfScope{Names: []string{"Gi0/2"}}, acc, false},
		{"any of the names", &IfScope{Names: []string{"Te*", "Gi0/1"}}, up, true},
		{"alias glob", &IfScope{Aliases: []string{"*uplink*"}}, up, true},
		{"alias glob misses", &IfScope{Aliases: []string{"*uplink*"}}, acc, false},
		{"role", &IfScope{Roles: []string{"uplink", "wan"}}, up, true},
		{"role misses", &IfScope{Roles: []string{"uplink", "wan"}}, acc, false},
		{"no role misses a role scope", &IfScope{Roles: []string{"uplink"}}, Interface{Name: "x"}, false},
		{"fields AND", &IfScope{Names: []string{"Gi*"}, Roles: []string{"wan"}}, up, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.scope.Matches(&tc.f); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIfScopeValidate(t *testing.T) {
	rule := func(k Kind, s *IfScope) Rule {
		return Rule{Name: "r", Kind: k, Severity: SeverityMajor, Op: OpGE, Threshold: 1, RecoveryThreshold: 1,
			ForCycles: 1, RecoverCycles: 1, Scope: Scope{Interfaces: s}}
	}
	tests := []struct {
		name  string
		rule  Rule
		field string // "" = valid
	}{
		{"globs and roles", rule(KindIfDown, &IfScope{Names: []string{"Gi0/*"}, Aliases: []string{"*wan*"}, Roles: []string{"wan"}}), ""},
		{"bad glob", rule(KindIfDown, &IfScope{Names: []string{"Gi0/[1"}}), "scope.interfaces.names"},
		{"empty alias glob", rule(KindIfErrorRate, &IfScope{Aliases: []string{" "}}), "scope.interfaces.aliases"},
		{"bad role", rule(KindIfUtilPct, &IfScope{Roles: []string{"Up Link"}}), "scope.interfaces.roles"},
		{"not a per-interface kind", rule(KindCPUPct, &IfScope{Roles: []string{"wan"}}), "scope.interfaces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rule.Validate()
			var fe *FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Fatalf("Validate = %v, want an error on %s", err, tc.field)
			}
		})
	}
}

func TestRoleFromAlias(t *testing.T) {
	re, err := CompileRolePattern("p", `^\[(\w+)\]`)
	if err != nil {
		t.Fatal(err)
	}
	named, err := CompileRolePattern("p", `(?i)^(?:to|via) \S+ (?P<role>wan|uplink)$`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, alias, want string
		re                *regexp.Regexp
	}{
		{"first group", "[Uplink] to core-01", "uplink", re},
		{"no match", "desk 12", "", re},
		{"named group", "via isp-a WAN", "wan", named},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RoleFromAlias(tc.re, tc.alias); got != tc.want {
				t.Errorf("RoleFromAlias(%q) = %q, want %q", tc.alias, got, tc.want)
			}
		})
	}
	for _, bad := range []string{`(`, `^uplink$`} {
		if _, err := CompileRolePattern("p", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CompileRolePattern(%q) = %v, want invalid", bad, err)
		}
	}
}
