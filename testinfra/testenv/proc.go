package testenv

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// A service a test binary starts (snmpd, snmpsimd, slapd, VictoriaMetrics) must not outlive
// it. t.Cleanup stops it when its test ends, but no cleanup runs when the binary dies on a
// timeout panic, os.Exit or a signal. StartOwned therefore also asks the kernel for SIGKILL
// when the parent goes (PR_SET_PDEATHSIG). The kernel ties that signal to the thread that
// forked, not the process, and Go retires threads at will: every fork happens on one
// goroutine locked to its OS thread for the life of the binary, so the signal comes exactly
// when the test binary ends. Process-wide by nature (one binary, one thread), hence the
// package-level state.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// StartOwned starts cmd in its own process group with SIGKILL as its parent-death signal, so
// that it ends with the test binary at the latest. A program that changes its user itself
// (runuser, --process-user) loses the signal: set cmd.SysProcAttr.Credential instead.
func StartOwned(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go spawner(spawnReqs)
	})
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	spawnReqs <- r
	return <-r.done
}

func spawner(reqs <-chan spawnReq) {
	runtime.LockOSThread() // never unlocked: the thread lives as long as the binary
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}
