package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardops/wardops/tools/benchreport/benchfile"
)

// failCmd records a bench that failed or did not run, for `go tool task bench`:
//
//	benchreport fail -bench api -command 'go tool task bench:api' -error 'exit 1: …' [-missing]
//
// It keeps the rows the bench wrote before failing (its result file, if any) and adds a row
// with met false and the error, or, with -missing (no such task yet), met null.
func failCmd(args []string) int {
	fl := flag.NewFlagSet("fail", flag.ContinueOnError)
	name := fl.String("bench", "", "bench name (its file is <dir>/<bench>.json)")
	command := fl.String("command", "", "command that ran it")
	msg := fl.String("error", "", "what went wrong")
	missing := fl.Bool("missing", false, "the bench does not exist here (no target checked, not a failure)")
	date := fl.String("date", "", "when it started (RFC 3339)")
	load := fl.String("load", "", `load average at start and end, "0.4 → 1.2"`)
	dir := fl.String("dir", benchfile.Dir(), "directory of the result files")
	if err := fl.Parse(args); err != nil || *name == "" {
		fmt.Fprintln(os.Stderr, "usage: benchreport fail -bench NAME -command CMD -error MSG [-missing] [-date D] [-load L] [-dir DIR]")
		return 2
	}
	path := filepath.Join(*dir, *name+".json")
	f, err := benchfile.Read(path)
	if err != nil { // none written (or half of one): the failure row is the whole result
		f = benchfile.File{Bench: *name}
	}
	f.Command = *command
	f.Date, f.Load = orDefault(f.Date, *date), orDefault(f.Load, *load)
	row := benchfile.Row{Figure: *name + " benchmark", Target: "runs to completion", Measured: "failed",
		Met: benchfile.Met(false), Note: *msg}
	if *missing {
		row = benchfile.Row{Figure: *name + " benchmark", Target: "—", Measured: "not run", Note: *msg}
	}
	f.Rows = append(f.Rows, row)
	if err := benchfile.Write(path, f); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		return 1
	}
	return 0
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
