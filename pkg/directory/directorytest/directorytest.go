// Package directorytest configures pkg/directory for the test directory of testenv.NewLDAP.
package directorytest

import (
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/config"
	"github.com/wardops/wardops/testinfra/testenv"
)

// Mapping is the WARDOPS_LDAP_GROUPS of the tests: noc-admins → admin, noc-operators →
// operator, branch-north-ops (nested in noc-operators; written in another case and spacing)
// → operator limited to region north and two branches, noc-viewers → viewer; canteen unmapped.
const Mapping = testenv.LDAPGroupAdmins + " => admin; " + testenv.LDAPGroupOperators + " => operator;" +
	"CN=Branch-North-Ops, OU=Groups, DC=wardops, DC=test => operator regions=north branches=B012,B014;" +
	testenv.LDAPGroupViewers + " => viewer"

// Config is the directory configuration of l at url (l.URL for LDAPS, l.StartTLSURL for
// StartTLS) with AD's default filters and Mapping.
func Config(t testing.TB, l *testenv.LDAP, url string) config.LDAP {
	t.Helper()
	groups, err := config.ParseLDAPGroups(Mapping, ";", "entry")
	if err != nil {
		t.Fatalf("parse test mapping: %v", err)
	}
	return config.LDAP{URL: url, StartTLS: url == l.StartTLSURL, CAFile: l.CAFile,
		BindDN: testenv.LDAPBindDN, BindPassword: testenv.LDAPBindPassword,
		UserBase: testenv.LDAPUserBase, UserFilter: config.DefaultLDAPUserFilter,
		GroupBase: testenv.LDAPGroupBase, GroupFilter: config.DefaultLDAPGroupFilter,
		GroupDepth: config.DefaultLDAPGroupDepth, Groups: groups, Refresh: time.Minute, Timeout: 3 * time.Second}
}
