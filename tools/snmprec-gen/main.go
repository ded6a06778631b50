// Command snmprec-gen writes snmpsim data files for N simulated devices (see package simdata).
//
//	go run ./tools/snmprec-gen -dir RUN_DIR/snmpsim/data -n 1000
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wardops/wardops/pkg/snmp/simdata"
)

func main() { os.Exit(run()) }

func run() int {
	dir := flag.String("dir", "", "data directory to write <name>.snmprec files into (required)")
	n := flag.Int("n", 50, "number of simulated devices")
	ifs := flag.Int("interfaces", simdata.DefaultInterfaces, "interfaces per device")
	prefix := flag.String("prefix", simdata.DefaultPrefix, "device name prefix (names and communities are <prefix>-0001...)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *dir == "" || *n < 0 {
		fmt.Fprintln(os.Stderr, "snmprec-gen: -dir is required and -n must be >= 0")
		return 2
	}
	names, err := simdata.Generate(*dir, simdata.Options{Devices: *n, Interfaces: *ifs, Prefix: *prefix, Seed: *seed})
	if err != nil {
		fmt.Fprintln(os.Stderr, "snmprec-gen:", err)
		return 1
	}
	fmt.Printf("wrote %d data files to %s\n", len(names), *dir)
	return 0
}
