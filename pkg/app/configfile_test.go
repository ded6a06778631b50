package app

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardops/wardops/testinfra/testenv"
)

// runCaptured runs the api binary's entry point with args, returning the exit code, stdout and
// stderr.
func runCaptured(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	testenv.Must(t, "stdout file", err)
	errf, err := os.Create(filepath.Join(dir, "stderr"))
	testenv.Must(t, "stderr file", err)
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = out, errf
	code := RunAPI(args)
	os.Stdout, os.Stderr = stdout, stderr
	read := func(f *os.File) string {
		_, _ = f.Seek(0, io.SeekStart)
		b, _ := io.ReadAll(f)
		_ = f.Close()
		return string(b)
	}
	return code, read(out), read(errf)
}

// TestConfigCLI runs `api config apply` (dry run, real, again), `api config export` and a
// refused file through the binary's own wiring on a fresh database.
func TestConfigCLI(t *testing.T) {
	addr, db := testenv.RedisOpt(t)
	t.Setenv("WARDOPS_DATABASE_URL", testenv.DBURL(t))
	t.Setenv("WARDOPS_REDIS_URL", fmt.Sprintf("redis://%s/%d", addr, db))
	t.Setenv("WARDOPS_SECRET_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	t.Setenv("CLI_HOOK_HMAC", "cli-hmac-value")
	file := filepath.Join(t.TempDir(), "wardops.yaml")
	testenv.Must(t, "write file", os.WriteFile(file, []byte(`version: 1
regions:
  - name: North
branches:
  - name: Olten
    region: North
devices:
  - name: olten-rtr-01
    ip: 127.0.0.11
    branch: Olten
channels:
  - name: hook
    type: webhook
    config: {url: "https://hooks.example.com/x"}
    secrets: {hmac_secret: "${env:CLI_HOOK_HMAC}"}
`), 0o600))
	code, out, errs := runCaptured(t, "config", "apply", file, "--dry-run")
	if code != 0 || !strings.Contains(out, "+ device olten-rtr-01\n") || !strings.HasSuffix(out, "4 to create, 0 to update, 0 to delete (dry run: nothing changed)\n") {
		t.Fatalf("dry run: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if code, out, errs = runCaptured(t, "config", "apply", file); code != 0 || !strings.HasSuffix(out, "(applied)\n") {
		t.Fatalf("apply: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if code, out, _ = runCaptured(t, "config", "apply", file); code != 0 || out != "0 to create, 0 to update, 0 to delete (nothing to do)\n" {
		t.Fatalf("second apply: exit %d, stdout %q", code, out)
	}
	code, out, _ = runCaptured(t, "config", "export")
	if code != 0 || !strings.Contains(out, "ip: 127.0.0.11") || !strings.Contains(out, "hmac_secret: ${env:WARDOPS_CHANNEL_HOOK_HMAC_SECRET}") ||
		strings.Contains(out, "cli-hmac-value") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	testenv.Must(t, "write bad file", os.WriteFile(bad, []byte("version: 1\ndevices:\n  - name: x\n    ip: 127.0.0.20\n    branch: Nowhere\n"), 0o600))
	code, _, errs = runCaptured(t, "config", "apply", bad)
	if want := bad + ":5: devices[0].branch: branch \"Nowhere\" does not exist (neither in the file nor in the database)\n"; code != 1 || errs != want {
		t.Fatalf("bad file: exit %d, stderr %q, want %q", code, errs, want)
	}
	if code, _, errs = runCaptured(t, "config", "apply"); code != 2 || !strings.Contains(errs, "apply needs a FILE") {
		t.Fatalf("usage: exit %d, stderr %q", code, errs)
	}
}
