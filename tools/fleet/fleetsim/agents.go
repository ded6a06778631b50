package fleetsim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wardops/wardops/pkg/snmp/simdata"
)

// Agents are the fleet's snmpsim processes, started and stopped through scripts/snmp.sh with
// their own run directory and ports (never the demo's 11162 or the SNMP benchmark's 11262).
type Agents struct {
	// Root is the module root (scripts/snmp.sh is run from there).
	Root string
	// Dir is the run directory: data files in Dir/snmpsim/data (sim-0001.snmprec …), logs and
	// pid files beside them.
	Dir string
	// Port of the first snmpsimd; Procs processes listen on Port, Port+1, … (all serve every
	// device: snmpsim is single-threaded Python, more processes use more cores).
	Port, Procs int
}

// Defaults of Agents.
const (
	DefaultAgentPort  = 11362
	DefaultAgentProcs = 2
)

// AgentTimeoutMS is the SNMP request timeout of a simulated agent (the default is 2 s). One
// single-threaded snmpsimd answers for thousands of agents, and a worker polls up to
// concurrency × batch size (50 × 25) of them at once: its requests queue for seconds in the
// simulator, where a real agent answers its own within milliseconds. With 2 s, most polls
// of 1,000 agents timed out and their retries doubled the simulator's load (bench:pipeline);
// 10 s is what bench:snmp uses.
const AgentTimeoutMS = 10000

// Settings is the SNMP settings body of agent k (0-based): community sim-000(k+1) at one of
// the snmpsimd processes, round robin.
func (a Agents) Settings(k int) SNMPv2c {
	return SNMPv2c{Version: "2c", Community: simdata.Name(simdata.DefaultPrefix, k+1), Host: "127.0.0.1",
		Port: a.Port + k%max(a.Procs, 1), TimeoutMS: AgentTimeoutMS}
}

// Start generates m data files (unless the directory already holds m) and starts the
// simulators; running ones with other data are restarted.
func (a Agents) Start(ctx context.Context, m int) error {
	if m <= 0 {
		return nil
	}
	if a.Count() != m {
		if err := a.script(ctx, m, "gen", a.Dir, strconv.Itoa(m)); err != nil {
			return err
		}
	}
	return a.script(ctx, m, "start", a.Dir)
}

// Stop stops the simulators and removes their data files (the whole Dir/snmpsim).
func (a Agents) Stop(ctx context.Context) error {
	_ = os.Remove(filepath.Join(a.Dir, "agents"))
	if _, err := os.Stat(filepath.Join(a.Dir, "snmpsim")); os.IsNotExist(err) {
		return nil
	}
	if err := a.script(ctx, 0, "stop", a.Dir); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(a.Dir, "snmpsim")); err != nil {
		return fmt.Errorf("remove the snmprec files: %w", err)
	}
	return nil
}

// Count is the number of simulated devices whose data files Start last wrote (0 for none).
func (a Agents) Count() int {
	b, _ := os.ReadFile(filepath.Join(a.Dir, "snmpsim", "devices"))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// Names are the devices the last Apply made agents (Dir/agents, one name a line).
func (a Agents) Names() []string {
	b, _ := os.ReadFile(filepath.Join(a.Dir, "agents"))
	return strings.Fields(string(b))
}

// SetNames records the devices that are agents now (before their settings are written, so an
// interrupted Apply still knows them next time).
func (a Agents) SetNames(names []string) error {
	if err := os.MkdirAll(a.Dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(a.Dir, "agents"), []byte(strings.Join(names, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("record the agents: %w", err)
	}
	return nil
}

// PIDs are the running snmpsimd processes (from their pid files).
func (a Agents) PIDs() []int {
	var out []int
	files, _ := filepath.Glob(filepath.Join(a.Dir, "snmpsim", "snmpsimd.*.pid"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func (a Agents) script(ctx context.Context, m int, args ...string) error {
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(a.Root, "scripts", "snmp.sh")}, args...)...)
	cmd.Dir = a.Root
	cmd.Env = append(os.Environ(), "WARDOPS_SNMPD_PORT=0", "WARDOPS_SNMPSIM_PORT="+strconv.Itoa(a.Port),
		"WARDOPS_SNMPSIM_PROCS="+strconv.Itoa(max(a.Procs, 1)), "WARDOPS_SNMPSIM_DEVICES="+strconv.Itoa(m))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/snmp.sh %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// ModuleRoot is the directory of go.mod, from `go env GOMOD`.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("find the WardOps module (run from its directory): %v", err)
	}
	return filepath.Dir(mod), nil
}
