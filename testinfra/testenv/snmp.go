package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/wardops/wardops/pkg/snmp/simdata"
)

// Credentials of the private snmpd of NewSNMPD (the same as scripts/snmp.sh configures).
const (
	SNMPDCommunity = "public"
	// SNMPDUser is an authPriv user: SHA-256 / AES.
	SNMPDUser = "wardops"
	// SNMPDUser256 is an authPriv user: SHA-512 / AES-256.
	SNMPDUser256 = "wardops256"
	// SNMPDAuthUser is an authNoPriv user: SHA.
	SNMPDAuthUser = "wardopsauth"
	SNMPDAuthPass = "wardops-auth-pass"
	SNMPDPrivPass = "wardops-priv-pass"
)

const snmpdHint = "install net-snmp with `scripts/snmp.sh install` (apt-get install snmpd snmp)"

// SNMPD is a private net-snmp agent of one test on a free loopback UDP port, with a v2c
// community and the v3 users above in its own configuration; stopped at cleanup.
type SNMPD struct {
	Host string
	Port int
}

// NewSNMPD starts a private snmpd for the test and waits until it answers.
func NewSNMPD(t testing.TB) *SNMPD {
	t.Helper()
	SkipShort(t, "snmpd")
	bin, err := exec.LookPath("snmpd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/snmpd"); serr != nil {
			t.Fatalf("snmpd not found: %v (%s)", err, snmpdHint)
		}
		bin = "/usr/sbin/snmpd"
	}
	dir := t.TempDir()
	port := freeUDPPort(t)
	conf := filepath.Join(dir, "snmpd.conf")
	Must(t, "write snmpd.conf", os.WriteFile(conf, []byte(snmpdConf(port)), 0o600))
	Must(t, "create snmpd persistent dir", os.MkdirAll(filepath.Join(dir, "persist"), 0o700))
	logf := filepath.Join(dir, "snmpd.log")
	cmd := exec.Command(bin, "-f", "-Lf", logf, "-C", "-c", conf, "-I", "-smux")
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"), "MIBS=")
	if err := StartOwned(cmd); err != nil {
		t.Fatalf("start snmpd: %v (%s)", err, snmpdHint)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	a := &SNMPD{Host: "127.0.0.1", Port: port}
	if err := waitSNMP(a.Host, port, SNMPDCommunity, 10*time.Second, done); err != nil {
		b, _ := os.ReadFile(logf)
		t.Fatalf("snmpd on 127.0.0.1:%d: %v\nlog:\n%s", port, err, tail(string(b), 20))
	}
	return a
}

func snmpdConf(port int) string {
	return fmt.Sprintf(`agentAddress udp:127.0.0.1:%d
rocommunity %s 127.0.0.1
createUser %s SHA-256 "%s" AES "%s"
createUser %s SHA-512 "%s" AES-256 "%s"
createUser %s SHA "%s"
rouser %s priv
rouser %s priv
rouser %s auth
sysName wardops-test-snmpd
dontLogTCPWrappersConnects yes
`, port, SNMPDCommunity, SNMPDUser, SNMPDAuthPass, SNMPDPrivPass, SNMPDUser256, SNMPDAuthPass, SNMPDPrivPass,
		SNMPDAuthUser, SNMPDAuthPass, SNMPDUser, SNMPDUser256, SNMPDAuthUser)
}

// DefaultTestSNMPSimPort is the loopback port of the tests' shared snmpsim;
// WARDOPS_TEST_SNMPSIM_PORT overrides it.
const DefaultTestSNMPSimPort = 11172

// TestSNMPSimDevices is the number of simulated devices of the tests' snmpsim: sim-0001 ...
// sim-0020 (sim-0010 and sim-0020 have no ifXTable).
const TestSNMPSimDevices = 20

const simHint = "scripts/services.sh starts the tests' shared snmpsim (or `WARDOPS_SNMPD_PORT=0 WARDOPS_SNMPSIM_PORT=%d WARDOPS_SNMPSIM_DEVICES=%d scripts/snmp.sh start RUN_DIR/test-snmp`); snmpsim itself: scripts/snmp.sh install"

// SNMPSim is the tests' snmpsim agent: one simulated device per community
// (simdata.Name("sim", i)).
type SNMPSim struct {
	Host string
	Port int
}

// One private snmpsimd per test binary at most, shared by its tests (process-wide by nature).
var (
	simMu      sync.Mutex
	privateSim *SNMPSim
)

// NewSNMPSim returns the tests' shared snmpsim, which scripts/services.sh starts on
// DefaultTestSNMPSimPort (WARDOPS_TEST_SNMPSIM_PORT) and owns. When nothing answers there, it
// starts a private snmpsimd for this test binary on a free port, with its data in a temporary
// directory; the process ends with the binary (StartOwned) and is never left running.
func NewSNMPSim(t testing.TB) *SNMPSim {
	t.Helper()
	SkipShort(t, "snmpsim")
	simMu.Lock()
	defer simMu.Unlock()
	port := DefaultTestSNMPSimPort
	if p := os.Getenv("WARDOPS_TEST_SNMPSIM_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("WARDOPS_TEST_SNMPSIM_PORT=%q: %v", p, err)
		}
		port = n
	}
	a := &SNMPSim{Host: "127.0.0.1", Port: port}
	if waitSNMP(a.Host, port, "sim-0001", time.Second, nil) == nil {
		return a
	}
	if privateSim != nil {
		return privateSim
	}
	hint := fmt.Sprintf(simHint, port, TestSNMPSimDevices)
	p, err := startPrivateSim()
	if err != nil {
		t.Fatalf("snmpsim not answering on 127.0.0.1:%d and a private one failed: %v; %s", port, err, hint)
	}
	privateSim = p
	return p
}

// NewSNMPSimData starts a snmpsimd of this test alone, serving the devices simdata generates
// with o into a temporary directory of the test (e.g. the demo's recordings: the options of
// tools/snmprec-gen as scripts/snmp.sh runs it). The daemon stops when the test ends.
func NewSNMPSimData(t testing.TB, o simdata.Options) *SNMPSim {
	t.Helper()
	SkipShort(t, "snmpsim")
	removeStaleSimDirs()
	// not t.TempDir: under root snmpsimd runs as nobody, who must reach the directory
	dir, err := os.MkdirTemp("", simDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		t.Fatalf("snmpsim dir: %v", err)
	}
	s, stop, err := startSimIn(dir, o)
	t.Cleanup(func() { stop(); _ = os.RemoveAll(dir) })
	if err != nil {
		t.Fatalf("private snmpsimd over %s: %v; snmpsim itself: scripts/snmp.sh install", dir, err)
	}
	return s
}

// Blackhole is a loopback UDP socket that reads everything and never answers: an SNMP agent
// that does not respond (unlike a closed port, which answers ICMP port unreachable at once).
type Blackhole struct {
	Port     int
	received atomic.Int64
}

// Received is the number of datagrams received so far.
func (b *Blackhole) Received() int64 { return b.received.Load() }

// NewBlackhole listens on a free loopback UDP port; the socket closes at cleanup.
func NewBlackhole(t testing.TB) *Blackhole {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	Must(t, "listen on a loopback UDP port", err)
	t.Cleanup(func() { _ = c.Close() })
	b := &Blackhole{Port: c.LocalAddr().(*net.UDPAddr).Port}
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			b.received.Add(1)
		}
	}()
	return b
}

// FreeUDPPort returns a loopback UDP port with nothing listening (bound then closed): a
// request to it gets ICMP port unreachable.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	return freeUDPPort(t)
}

func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	Must(t, "find a free UDP port", err)
	port := c.LocalAddr().(*net.UDPAddr).Port
	_ = c.Close()
	return port
}

// waitSNMP waits until a v2c GET of sysName.0 succeeds; exited (may be nil) aborts early.
func waitSNMP(host string, port int, community string, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		g := &gosnmp.GoSNMP{Target: host, Port: uint16(port), Community: community, Version: gosnmp.Version2c,
			Timeout: 300 * time.Millisecond, Retries: 0, Context: context.Background(), MaxOids: gosnmp.MaxOids}
		if err = g.Connect(); err == nil {
			_, err = g.Get([]string{".1.3.6.1.2.1.1.5.0"})
			_ = g.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("agent exited at start: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("no answer within %s: %w", limit, err)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
