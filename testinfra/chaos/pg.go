package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardops/wardops/testinfra/testenv"
)

const pgHint = "install PostgreSQL with `go tool task services` (apt-get install postgresql) or set WARDOPS_CHAOS_PG_BIN to the directory holding initdb and pg_ctl"

// PG is a private PostgreSQL cluster of one test: its own data directory and loopback port, so
// that a restart never disturbs the shared server other tests use. As root, initdb and pg_ctl
// run as user postgres (PostgreSQL refuses to run as root).
type PG struct {
	t    testing.TB
	bin  string
	dir  string
	port int
}

// PGBin finds the directory of initdb and pg_ctl: WARDOPS_CHAOS_PG_BIN, else the newest
// /usr/lib/postgresql/*/bin.
func PGBin() (string, error) {
	if b := os.Getenv("WARDOPS_CHAOS_PG_BIN"); b != "" {
		return b, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) < pgVersion(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no initdb under /usr/lib/postgresql/*/bin")
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// NewPG creates and starts a private cluster with trust authentication on 127.0.0.1 and a
// database named wardops. It is stopped and removed when the test ends.
func NewPG(t testing.TB) *PG {
	t.Helper()
	testenv.SkipShort(t, "a private PostgreSQL cluster")
	bin, err := PGBin()
	if err != nil {
		t.Fatalf("find PostgreSQL: %v (%s)", err, pgHint)
	}
	dir, err := os.MkdirTemp("", "wardops-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &PG{t: t, bin: bin, dir: dir, port: FreePort(t)}
	t.Cleanup(func() {
		_ = p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop")
		_ = os.RemoveAll(dir)
	})
	if err := chownToPostgres(dir); err != nil {
		t.Fatalf("give %s to user postgres: %v", dir, err)
	}
	if err := p.run("initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v (%s)", err, pgHint)
	}
	p.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		t.Fatalf("connect to the private PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE wardops"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return p
}

func (p *PG) data() string { return filepath.Join(p.dir, "data") }

// Port is the cluster's loopback port.
func (p *PG) Port() int { return p.port }

// URL is the connection URL of database db.
func (p *PG) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// Start starts the cluster and waits until it accepts connections.
func (p *PG) Start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=128MB",
		p.port, p.dir)
	if err := p.run("pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		p.t.Fatalf("start PostgreSQL: %v\n%s", err, tail(filepath.Join(p.dir, "postgres.log"), 20))
	}
}

// Stop stops the cluster: mode "immediate" is a crash (no checkpoint, WAL replay at start),
// "fast" a clean shutdown that disconnects every client.
func (p *PG) Stop(mode string) {
	p.t.Helper()
	if err := p.run("pg_ctl", "-D", p.data(), "-m", mode, "-w", "stop"); err != nil {
		p.t.Fatalf("stop PostgreSQL: %v", err)
	}
}

// run runs a PostgreSQL program, as user postgres when this process is root.
func (p *PG) run(prog string, args ...string) error {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = p.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func chownToPostgres(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
