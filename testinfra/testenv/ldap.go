package testenv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const ldapHint = "install OpenLDAP with `scripts/ldap.sh install` (apt-get install slapd ldap-utils; scripts/services.sh does it)"

// The test directory of LDAP: an Active Directory-shaped tree (sAMAccountName,
// userAccountControl, groups with member) served by OpenLDAP.
const (
	LDAPBaseDN = "dc=wardops,dc=test"
	// LDAPBindDN and LDAPBindPassword are the service account WardOps searches with.
	LDAPBindDN       = "cn=wardops-svc,ou=services,dc=wardops,dc=test"
	LDAPBindPassword = "svc-bind-password"
	// LDAPRootDN and LDAPRootPassword may change everything (tests edit groups with it).
	LDAPRootDN       = "cn=admin,dc=wardops,dc=test"
	LDAPRootPassword = "root-password"
	LDAPUserBase     = "ou=people,dc=wardops,dc=test"
	LDAPGroupBase    = "ou=groups,dc=wardops,dc=test"
	// LDAPPassword is the password of every user in the test directory except "admin".
	LDAPPassword = "directory password 1"
	// LDAPAdminPassword is the password of the directory's own "admin" user, which a local
	// (break-glass) account of the same name shadows.
	LDAPAdminPassword = "directory admin password"
)

// The groups of the test directory, by DN.
const (
	LDAPGroupAdmins    = "cn=noc-admins,ou=groups,dc=wardops,dc=test"
	LDAPGroupOperators = "cn=noc-operators,ou=groups,dc=wardops,dc=test"
	// LDAPGroupNorthOps is nested in LDAPGroupOperators.
	LDAPGroupNorthOps = "cn=branch-north-ops,ou=groups,dc=wardops,dc=test"
	LDAPGroupViewers  = "cn=noc-viewers,ou=groups,dc=wardops,dc=test"
	// LDAPGroupCanteen is mapped to nothing.
	LDAPGroupCanteen = "cn=canteen,ou=groups,dc=wardops,dc=test"
)

// LDAPUsers describes the users of the test directory: sAMAccountName → what they are.
var LDAPUsers = map[string]string{
	"alice": "in noc-admins",
	"bob":   "in branch-north-ops, which is a member of noc-operators (nested)",
	"carol": "in noc-viewers",
	"dave":  "in noc-admins but disabled (userAccountControl 514: ACCOUNTDISABLE)",
	"grace": "in noc-admins but locked by OpenLDAP ppolicy (pwdAccountLockedTime)",
	"erin":  "only in canteen (no mapped group)",
	"frank": "in noc-operators directly",
	"admin": "in noc-admins, password LDAPAdminPassword (shadowed by a local admin)",
}

// LDAP is a private OpenLDAP slapd of one test, on free loopback ports with StartTLS (ldap://)
// and LDAPS, its certificate issued by a CA generated for the test (CAFile), its database
// loaded with the directory above. It is stopped and removed at cleanup; Stop and Start
// simulate an outage.
type LDAP struct {
	// URL is ldaps://127.0.0.1:port; StartTLSURL is ldap://127.0.0.1:port (use StartTLS).
	URL, StartTLSURL string
	// CAFile is the PEM CA certificate that issued the server's certificate.
	CAFile string

	t    testing.TB
	bin  string
	dir  string
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

func slapBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := "/usr/sbin/" + name
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found", name)
	}
	return p, nil
}

// NewLDAP starts a private slapd for the test and waits until it accepts connections.
func NewLDAP(t testing.TB) *LDAP {
	t.Helper()
	SkipShort(t, "OpenLDAP slapd")
	slapd, err := slapBin("slapd")
	if err != nil {
		t.Fatalf("%v (%s)", err, ldapHint)
	}
	slapadd, err := slapBin("slapadd")
	if err != nil {
		t.Fatalf("%v (%s)", err, ldapHint)
	}
	l := &LDAP{t: t, bin: slapd, dir: t.TempDir()}
	l.CAFile = filepath.Join(l.dir, "ca.pem")
	Must(t, "generate LDAP certificates", writeLDAPCerts(l.dir))
	Must(t, "create LDAP data dir", os.MkdirAll(filepath.Join(l.dir, "data"), 0o700))
	conf := filepath.Join(l.dir, "slapd.conf")
	Must(t, "write ad.schema", os.WriteFile(filepath.Join(l.dir, "ad.schema"), []byte(adSchema), 0o600))
	Must(t, "write slapd.conf", os.WriteFile(conf, []byte(slapdConf(l.dir)), 0o600))
	ldif := filepath.Join(l.dir, "directory.ldif")
	Must(t, "write directory.ldif", os.WriteFile(ldif, []byte(directoryLDIF()), 0o600))
	if out, err := exec.Command(slapadd, "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	t.Cleanup(l.stop)
	for try := 0; ; try++ {
		plain, tls := freePort(t), freePort(t)
		l.StartTLSURL = "ldap://127.0.0.1:" + strconv.Itoa(plain)
		l.URL = "ldaps://127.0.0.1:" + strconv.Itoa(tls)
		// -d 0: stay in the foreground (the test owns the process) and log nothing
		l.args = []string{"-f", conf, "-h", l.StartTLSURL + "/ " + l.URL + "/", "-d", "0"}
		err := l.start()
		if err == nil {
			return l
		}
		if try == 2 {
			t.Fatalf("start slapd: %v", err)
		}
	}
}

// Start starts the stopped slapd again on the same ports and data.
func (l *LDAP) Start() {
	l.t.Helper()
	if err := l.start(); err != nil {
		l.t.Fatalf("restart slapd: %v", err)
	}
}

// Stop stops slapd (an outage) and waits for it to exit.
func (l *LDAP) Stop() { l.stop() }

func (l *LDAP) start() error {
	if l.cmd != nil {
		return nil
	}
	var out bytes.Buffer
	cmd := exec.Command(l.bin, l.args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := StartOwned(cmd); err != nil {
		return fmt.Errorf("%w (%s)", err, ldapHint)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	l.cmd, l.done = cmd, done
	addr := strings.TrimPrefix(l.StartTLSURL, "ldap://")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			l.cmd = nil
			return fmt.Errorf("slapd exited at start: %s", tail(out.String(), 20))
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.stop()
	return fmt.Errorf("slapd not listening on %s after 15s: %s", addr, tail(out.String(), 20))
}

func (l *LDAP) stop() {
	if l.cmd == nil {
		return
	}
	_ = l.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		_ = l.cmd.Process.Kill()
		<-l.done
	}
	l.cmd = nil
}

// adSchema defines the two Active Directory attributes WardOps reads (with AD's own OIDs) and
// an auxiliary class that carries them, so the OpenLDAP test directory looks like AD.
const adSchema = `attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
	EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
	EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.9999.1 NAME 'wardopsADAccount' AUXILIARY
	MAY ( sAMAccountName $ userAccountControl ) )
`

func slapdConf(dir string) string {
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include %[1]s/ad.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server-key.pem
# like AD: nothing without a bind; binds only over TLS
disallow bind_anon
require authc
security simple_bind=128
database mdb
maxsize 67108864
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/data
# OpenLDAP's own account lock (pwdAccountLockedTime), as a second way to disable a user
overlay ppolicy
access to attrs=userPassword by anonymous auth by self write by * none
access to * by users read by * none
`, dir, LDAPBaseDN, LDAPRootDN, LDAPRootPassword)
}

// ssha is OpenLDAP's salted SHA-1 password scheme, for the test directory's userPassword.
func ssha(pw string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	h := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h[:], salt...))
}

func directoryLDIF() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: wardops\no: WardOps test bank\n\n", LDAPBaseDN)
	for _, ou := range []string{"people", "groups", "services"} {
		w("dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n", ou, LDAPBaseDN, ou)
	}
	w("dn: %s\nobjectClass: person\ncn: wardops-svc\nsn: service\nuserPassword: %s\n\n", LDAPBindDN, ssha(LDAPBindPassword))
	users := []struct {
		name string
		uac  int
		pw   string
	}{{"alice", 512, LDAPPassword}, {"bob", 512, LDAPPassword}, {"carol", 512, LDAPPassword},
		{"dave", 514, LDAPPassword}, {"erin", 512, LDAPPassword}, {"frank", 512, LDAPPassword},
		{"admin", 512, LDAPAdminPassword}, {"grace", 0, LDAPPassword}}
	for _, u := range users {
		// the RDN (cn=Alice Example) differs from the account name, as in AD
		w("dn: %s\nobjectClass: inetOrgPerson\nobjectClass: wardopsADAccount\ncn: %s\nsn: Example\nuid: %s\n"+
			"sAMAccountName: %s\nuserPassword: %s\n", LDAPUserDN(u.name), ldapCN(u.name), u.name, u.name, ssha(u.pw))
		if u.uac != 0 {
			w("userAccountControl: %d\n", u.uac)
		} else { // no AD attribute: locked the OpenLDAP way, for good
			w("pwdAccountLockedTime: 000001010000Z\n")
		}
		w("\n")
	}
	groups := []struct {
		dn      string
		members []string
	}{
		{LDAPGroupAdmins, []string{LDAPUserDN("alice"), LDAPUserDN("dave"), LDAPUserDN("admin"), LDAPUserDN("grace")}},
		{LDAPGroupOperators, []string{LDAPGroupNorthOps, LDAPUserDN("frank")}},
		{LDAPGroupNorthOps, []string{LDAPUserDN("bob")}},
		{LDAPGroupViewers, []string{LDAPUserDN("carol")}},
		{LDAPGroupCanteen, []string{LDAPUserDN("erin"), LDAPUserDN("alice")}},
	}
	for _, g := range groups {
		cn := strings.TrimPrefix(strings.SplitN(g.dn, ",", 2)[0], "cn=")
		w("dn: %s\nobjectClass: groupOfNames\ncn: %s\n", g.dn, cn)
		for _, m := range g.members {
			w("member: %s\n", m)
		}
		w("\n")
	}
	return b.String()
}

func ldapCN(name string) string { return strings.ToUpper(name[:1]) + name[1:] + " Example" }

// LDAPUserDN is the DN of a test directory user ("cn=Alice Example,ou=people,…").
func LDAPUserDN(name string) string { return "cn=" + ldapCN(name) + "," + LDAPUserBase }

// writeLDAPCerts writes ca.pem, server.pem and server-key.pem (for 127.0.0.1 and localhost).
func writeLDAPCerts(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "WardOps test LDAP CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	files := map[string]*pem.Block{
		"ca.pem":         {Type: "CERTIFICATE", Bytes: caDER},
		"server.pem":     {Type: "CERTIFICATE", Bytes: der},
		"server-key.pem": {Type: "PRIVATE KEY", Bytes: keyDER},
	}
	for name, blk := range files {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(blk), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Modify applies an LDIF change record (changetype: modify …) as the directory's root, with
// ldapmodify over StartTLS.
func (l *LDAP) Modify(t testing.TB, ldif string) {
	t.Helper()
	bin, err := exec.LookPath("ldapmodify")
	if err != nil {
		t.Fatalf("ldapmodify not found: %v (%s)", err, ldapHint)
	}
	cmd := exec.Command(bin, "-x", "-ZZ", "-H", l.StartTLSURL, "-D", LDAPRootDN, "-w", LDAPRootPassword)
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+l.CAFile, "LDAPTLS_REQCERT=demand")
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// RemoveMember takes member out of group.
func (l *LDAP) RemoveMember(t testing.TB, group, member string) {
	t.Helper()
	l.Modify(t, fmt.Sprintf("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n", group, member))
}

// AddMember puts member into group.
func (l *LDAP) AddMember(t testing.TB, group, member string) {
	t.Helper()
	l.Modify(t, fmt.Sprintf("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n", group, member))
}
