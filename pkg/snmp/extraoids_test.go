package snmp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseExtraOIDs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []ExtraOID
		wantErr string
	}{
		{"empty", "", []ExtraOID{}, ""},
		{"comments and blanks", "# vendor OIDs\n\n   \n", []ExtraOID{}, ""},
		{"one get", "fw_sessions .1.3.6.1.4.1.12356.101.4.1.8.0",
			[]ExtraOID{{Name: "fw_sessions", OID: "1.3.6.1.4.1.12356.101.4.1.8.0", Role: RoleGauge, Agg: AggGet, Scale: 1}}, ""},
		{"juniper cpu and memory", "juniper_cpu 1.3.6.1.4.1.2636.3.1.13.1.8 role=cpu agg=avg\njuniper_mem 1.3.6.1.4.1.2636.3.1.13.1.11 role=memory agg=max scale=0.5",
			[]ExtraOID{
				{Name: "juniper_cpu", OID: "1.3.6.1.4.1.2636.3.1.13.1.8", Role: RoleCPU, Agg: AggAvg, Scale: 1},
				{Name: "juniper_mem", OID: "1.3.6.1.4.1.2636.3.1.13.1.11", Role: RoleMemory, Agg: AggMax, Scale: 0.5},
			}, ""},
		{"semicolons", "a 1.3.6.1.4.1.1.0; b 1.3.6.1.4.1.2.0",
			[]ExtraOID{{Name: "a", OID: "1.3.6.1.4.1.1.0", Role: RoleGauge, Agg: AggGet, Scale: 1},
				{Name: "b", OID: "1.3.6.1.4.1.2.0", Role: RoleGauge, Agg: AggGet, Scale: 1}}, ""},
		{"missing oid", "cpu", nil, `extra_oids line 1: want "name oid [role=..] [agg=..] [scale=..]"`},
		{"bad oid", "cpu 1.3.six", nil, `extra_oids line 1: oid: not a numeric OID: "1.3.six"`},
		{"bad name", "CPU 1.3.6", nil, `extra_oids line 1: name: must be 1 to 64 of a-z, 0-9, _ starting with a letter, not "CPU"`},
		{"bad role", "cpu 1.3.6 role=disk", nil, `extra_oids line 1: role: must be gauge, cpu or memory, not "disk"`},
		{"bad agg", "cpu 1.3.6 agg=median", nil, `extra_oids line 1: agg: must be get, avg, max, min or sum, not "median"`},
		{"bad scale", "cpu 1.3.6 scale=-2", nil, `extra_oids line 1: scale "-2": want a positive number`},
		{"unknown option", "cpu 1.3.6 unit=pct", nil, `extra_oids line 1: unknown option "unit" (role, agg, scale)`},
		{"option without value", "cpu 1.3.6 avg", nil, `extra_oids line 1: option "avg": want key=value`},
		{"error names line", "a 1.3.6\n\nb 1.3.x", nil, `extra_oids line 3: oid:`},
		{"duplicate", "a 1.3.6\na 1.3.7", nil, `extra_oids[1].name: duplicate name "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseExtraOIDs(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeExtraOIDsNamesEntry(t *testing.T) {
	_, err := NormalizeExtraOIDs([]ExtraOID{{Name: "ok", OID: "1.3.6"}, {Name: "bad", OID: "x"}})
	if err == nil || !strings.HasPrefix(err.Error(), "extra_oids[1].oid: ") {
		t.Fatalf("error = %v, want it to name extra_oids[1].oid", err)
	}
	many := make([]ExtraOID, MaxExtraOIDs+1)
	if _, err := NormalizeExtraOIDs(many); err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Fatalf("error = %v, want the size limit", err)
	}
}

func FuzzParseExtraOIDs(f *testing.F) {
	for _, s := range []string{
		"juniper_cpu 1.3.6.1.4.1.2636.3.1.13.1.8 role=cpu agg=avg",
		"a 1.3.6.1.4.1.1.0; b .1.3.6.1.4.1.2.0 scale=0.01\n# c",
		"x 1.3 role=memory agg=sum scale=1e3", "a 1.3.6\na 1.3.6", "", ";;;", "a b c d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list, err := ParseExtraOIDs(s)
		if err != nil {
			return
		}
		// What parses formats back to text that parses to the same list, and survives JSON.
		again, err := ParseExtraOIDs(FormatExtraOIDs(list))
		if err != nil {
			t.Fatalf("reparse of %q: %v", FormatExtraOIDs(list), err)
		}
		if diff := cmp.Diff(list, again); diff != "" {
			t.Fatalf("format round trip (-first +second):\n%s", diff)
		}
		b, _ := json.Marshal(list)
		var back []ExtraOID
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if _, err := NormalizeExtraOIDs(back); err != nil {
			t.Fatalf("JSON round trip no longer valid: %v", err)
		}
	})
}
