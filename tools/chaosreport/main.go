// Command chaosreport turns the JSON lines of a fault-suite run (WARDOPS_CHAOS_REPORT) into
// the Markdown table of docs/RELIABILITY.md, replacing the section named by -section:
//
//	go run ./tools/chaosreport -in run/chaos.jsonl -doc docs/RELIABILITY.md -section chaos-long -command "go tool task chaos"
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wardops/wardops/testinfra/chaos"
)

func main() { os.Exit(run()) }

func run() int {
	in := flag.String("in", "", "JSON lines written by the fault tests")
	doc := flag.String("doc", "docs/RELIABILITY.md", "document to update")
	section := flag.String("section", "chaos-long", "name of the marked section to replace")
	command := flag.String("command", "go tool task chaos", "command that produced the results, printed under the table")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaosreport:", err)
		return 1
	}
	defer f.Close()
	results, err := chaos.ReadResults(f)
	if err != nil || len(results) == 0 {
		fmt.Fprintln(os.Stderr, "chaosreport: no results:", err)
		return 1
	}
	text, err := os.ReadFile(*doc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaosreport:", err)
		return 1
	}
	body := chaos.Table(results) + fmt.Sprintf("\nProduced by `%s` on %s.\n", *command, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	out, err := chaos.ReplaceSection(string(text), *section, body)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaosreport:", err)
		return 1
	}
	if err := os.WriteFile(*doc, []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "chaosreport:", err)
		return 1
	}
	fmt.Print(chaos.Table(results))
	return 0
}
