package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardops/wardops/testinfra/testenv"
)

// TestLDAP checks the private slapd: StartTLS and LDAPS with the test CA, the service bind,
// the loaded users and groups, a change, and an outage.
func TestLDAP(t *testing.T) {
	l := testenv.NewLDAP(t)
	search := func(url string, extra ...string) (string, error) {
		args := append([]string{"-x", "-LLL", "-H", url, "-D", testenv.LDAPBindDN, "-w", testenv.LDAPBindPassword,
			"-b", testenv.LDAPBaseDN}, extra...)
		cmd := exec.Command("ldapsearch", args...)
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+l.CAFile, "LDAPTLS_REQCERT=demand")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := search(l.URL, "(sAMAccountName=dave)", "userAccountControl")
	if err != nil || !strings.Contains(out, "userAccountControl: 514") {
		t.Fatalf("ldaps search: %v\n%s", err, out)
	}
	if out, err := search(l.StartTLSURL, "(sAMAccountName=bob)"); err == nil {
		t.Fatalf("simple bind without TLS was accepted:\n%s", out)
	}
	out, err = search(l.StartTLSURL, "-ZZ", "(member="+testenv.LDAPUserDN("frank")+")", "cn")
	if err != nil || !strings.Contains(out, "cn: noc-operators") {
		t.Fatalf("starttls group search: %v\n%s", err, out)
	}
	l.RemoveMember(t, testenv.LDAPGroupOperators, testenv.LDAPUserDN("frank"))
	out, _ = search(l.URL, "(member="+testenv.LDAPUserDN("frank")+")", "cn")
	if strings.Contains(out, "noc-operators") {
		t.Errorf("frank still in noc-operators:\n%s", out)
	}
	l.Stop()
	if _, err := search(l.URL, "(uid=bob)"); err == nil {
		t.Error("search succeeded while slapd was stopped")
	}
	l.Start()
	if out, err := search(l.URL, "(uid=bob)", "dn"); err != nil {
		t.Errorf("search after restart: %v\n%s", err, out)
	}
}
