package testenv

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardops/wardops/pkg/snmp/simdata"
)

const simDirPrefix = "wardops-test-snmpsim-"

// startPrivateSim starts a snmpsimd of this test binary: TestSNMPSimDevices devices generated
// into a temporary directory named after the binary's pid, on a free loopback port. It runs
// as nobody when the binary is root (snmpsim refuses root): the credentials are set at exec
// rather than by snmpsimd's --process-user, because a change of user inside the child would
// clear its parent-death signal.
func startPrivateSim() (*SNMPSim, error) {
	removeStaleSimDirs()
	dir, err := os.MkdirTemp("", simDirPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("snmpsim dir: %w", err)
	}
	s, _, err := startSimIn(dir, simdata.Options{Devices: TestSNMPSimDevices, Seed: 1})
	return s, err
}

// startSimIn generates o's data files under dir/data and starts a snmpsimd serving them on a
// free loopback port; it ends with the test binary (StartOwned) or when stop is called.
func startSimIn(dir string, o simdata.Options) (sim *SNMPSim, stop func(), err error) {
	stop = func() {}
	bin, err := exec.LookPath("snmpsimd")
	if err != nil {
		return nil, stop, fmt.Errorf("snmpsimd: %w", err)
	}
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	if _, err := simdata.Generate(data, o); err != nil {
		return nil, stop, fmt.Errorf("generate snmpsim data: %w", err)
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, stop, fmt.Errorf("snmpsim cache dir: %w", err)
	}
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, stop, fmt.Errorf("free UDP port: %w", err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	_ = c.Close()
	logf, err := os.Create(filepath.Join(dir, "snmpsimd.log"))
	if err != nil {
		return nil, stop, fmt.Errorf("snmpsim log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--v2c-arch", "--data-dir="+data, "--cache-dir="+cache,
		"--agent-udpv4-endpoint=127.0.0.1:"+strconv.Itoa(port), "--max-varbinds=1000", "--logging-method=null")
	cmd.Stdout, cmd.Stderr = logf, logf
	if os.Geteuid() == 0 {
		cred, err := nobody()
		if err != nil {
			return nil, stop, err
		}
		if err := openTo(dir); err != nil {
			return nil, stop, fmt.Errorf("snmpsim dir for nobody: %w", err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := StartOwned(cmd); err != nil {
		return nil, stop, fmt.Errorf("start snmpsimd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := waitSNMP("127.0.0.1", port, "sim-0001", 60*time.Second, exited); err != nil {
		_ = cmd.Process.Kill()
		b, _ := os.ReadFile(logf.Name())
		return nil, stop, fmt.Errorf("snmpsimd on 127.0.0.1:%d: %w\nlog:\n%s", port, err, tail(string(b), 20))
	}
	stop = func() { _ = cmd.Process.Kill(); <-exited }
	return &SNMPSim{Host: "127.0.0.1", Port: port}, stop, nil
}

// nobody is the credential snmpsimd runs with under root.
func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("snmpsimd runs as nobody under root: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if g, err := user.LookupGroup("nogroup"); err == nil {
		gid, _ = strconv.Atoi(g.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// openTo lets nobody read the data and write the cache (the directory is the test's own).
func openTo(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o777
		}
		return os.Chmod(p, mode)
	})
}

// removeStaleSimDirs deletes the data directories of earlier binaries whose process is gone
// (their snmpsimd died with them; the files stay behind).
func removeStaleSimDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), simDirPrefix+"*"))
	for _, m := range matches {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(m), simDirPrefix), "-")
		if !ok || pid == strconv.Itoa(os.Getpid()) {
			continue
		}
		if _, err := os.Stat("/proc/" + pid); os.IsNotExist(err) {
			_ = os.RemoveAll(m)
		}
	}
}
