// Command fleet registers a simulated bank fleet in a running WardOps, through its API with an
// admin token: N devices on distinct loopback addresses 127.64.0.1 … 127.127.255.254 in 8
// regions of branches of 20–50 devices (each branch router the parent of the rest), M of them
// SNMP agents served by snmpsim on 127.0.0.1:11362+ with generated .snmprec files (20
// interfaces, moving counters). --remove deletes exactly the fleet's devices (named fleet-…
// and labelled fleet=sim) and its data files. `go tool task fleet -- --devices N --snmp M`.
//
// Target: --api (WARDOPS_API_URL, default http://127.0.0.1:5001, the system of
// `go tool task up`); --token (WARDOPS_API_TOKEN), or when neither is given a one-day admin
// token made with `run/bin/api token create` against WARDOPS_DATABASE_URL (the default
// database of `go tool task up`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardops/wardops/tools/fleet/fleetsim"
)

func main() { os.Exit(run()) }

func run() int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	devices := fs.Int("devices", -1, "devices in the fleet (required unless --remove)")
	snmpN := fs.Int("snmp", 0, "how many of them are SNMP agents (routers, switches, firewalls first)")
	remove := fs.Bool("remove", false, "delete the fleet's devices and snmprec files, stop its simulators")
	api := fs.String("api", envOr("WARDOPS_API_URL", "http://127.0.0.1:5001"), "API base URL (WARDOPS_API_URL)")
	token := fs.String("token", os.Getenv("WARDOPS_API_TOKEN"), "admin API token (WARDOPS_API_TOKEN); default: create one with run/bin/api")
	dir := fs.String("dir", "", "run directory of the simulators (default RUN_DIR/fleet)")
	port := fs.Int("snmp-port", fleetsim.DefaultAgentPort, "UDP port of the first snmpsimd")
	procs := fs.Int("snmp-procs", fleetsim.DefaultAgentProcs, "snmpsimd processes (consecutive ports)")
	par := fs.Int("parallel", 8, "API requests in flight for per-device calls")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if !*remove && (*devices < 0 || *snmpN < 0 || *snmpN > *devices) {
		fmt.Fprintln(os.Stderr, "fleet: give --devices N (and --snmp M ≤ N), or --remove")
		fs.Usage()
		return 2
	}
	root, err := fleetsim.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	runDir := envOr("WARDOPS_RUN_DIR", filepath.Join(root, "run"))
	if *dir == "" {
		*dir = filepath.Join(runDir, "fleet")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if *token == "" {
		if *token, err = makeToken(ctx, runDir); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			return 1
		}
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "fleet: %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	c := &fleetsim.Client{Base: *api, Token: *token, Parallel: *par, Progress: logf}
	if err := c.Check(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "fleet: the API at %s is not usable: %v\n(start it with `go tool task up`, or give --api/--token)\n", *api, err)
		return 1
	}
	agents := fleetsim.Agents{Root: root, Dir: *dir, Port: *port, Procs: *procs}
	var s fleetsim.Summary
	if *remove {
		s, err = fleetsim.Remove(ctx, c, agents)
	} else {
		s, err = fleetsim.Apply(ctx, c, agents, *devices, *snmpN)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		return 1
	}
	if *remove {
		fmt.Printf("fleet removed: %d devices deleted, simulators in %s stopped and their data removed (%.1f s)\n", s.Deleted, *dir, s.Took.Seconds())
	} else {
		fmt.Printf("fleet of %d devices: %d created, %d updated, %d deleted beyond it; %d SNMP agents on 127.0.0.1:%d-%d (%.1f s)\n",
			*devices, s.Created, s.Updated, s.Deleted, s.SNMP, *port, *port+*procs-1, s.Took.Seconds())
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// makeToken creates a one-day admin token for user admin with the API binary of the run
// directory (it reads WARDOPS_DATABASE_URL, default the local wardops database).
func makeToken(ctx context.Context, runDir string) (string, error) {
	bin := filepath.Join(runDir, "bin", "api")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("no --token given and no %s to create one (run `go tool task up` first, or pass --token)", bin)
	}
	out, err := exec.CommandContext(ctx, bin, "token", "create", "--name", fmt.Sprintf("fleet-%d", time.Now().Unix()),
		"--role", "admin", "--user", "admin", "--expires-in-days", "1").Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "", fmt.Errorf("create an admin token with %s: %v: %s", bin, err, strings.TrimSpace(string(ee.Stderr)))
	}
	if err != nil {
		return "", fmt.Errorf("create an admin token with %s: %w", bin, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}
