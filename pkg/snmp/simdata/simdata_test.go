package simdata_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/snmp/simdata"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	names, err := simdata.Generate(dir, simdata.Options{Devices: 10, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sim-0001", "sim-0010"}, []string{names[0], names[9]}); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	tests := []struct {
		name      string
		file      string
		wantHC    int
		wantIfTbl int
	}{
		{"device with ifXTable", "sim-0001", 20, 20},
		{"legacy device", "sim-0010", 0, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hc, descr := 0, 0
			var prev snmp.OID
			f, err := os.Open(filepath.Join(dir, tc.file+".snmprec"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				parts := strings.SplitN(sc.Text(), "|", 3)
				if len(parts) != 3 {
					t.Fatalf("bad record %q", sc.Text())
				}
				o, err := snmp.ParseOID(parts[0])
				if err != nil {
					t.Fatalf("bad OID in %q: %v", sc.Text(), err)
				}
				if prev != nil && o.Compare(prev) <= 0 {
					t.Fatalf("records not sorted: %s after %s", o, prev)
				}
				prev = o
				switch {
				case o.HasPrefix(snmp.MustOID("1.3.6.1.2.1.31.1.1.1.6")):
					hc++
					if parts[1] != "70:numeric" {
						t.Errorf("ifHCInOctets %s is %q, want a moving Counter64", o, parts[1])
					}
				case o.HasPrefix(snmp.MustOID("1.3.6.1.2.1.2.2.1.2")):
					descr++
				}
			}
			if hc != tc.wantHC || descr != tc.wantIfTbl {
				t.Errorf("ifHCInOctets rows %d, ifDescr rows %d; want %d and %d", hc, descr, tc.wantHC, tc.wantIfTbl)
			}
		})
	}
}
