package snmp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gosnmp/gosnmp"
)

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { return t0 }
}

func pollFake(t *testing.T, a *fakeAgent, maxRep int, extra []ExtraOID) (*Reading, error) {
	t.Helper()
	p := &Poller{dial: a.dialer(), now: fixedClock()}
	return p.Poll(context.Background(), Target{Host: "127.0.0.1", Settings: Settings{Version: Version2c, MaxRepetitions: maxRep}}, extra)
}

func TestPollReadsEverything(t *testing.T) {
	tests := []struct {
		name         string
		agent        *fakeAgent
		maxRep       int
		wantBulks    int
		wantWidth    uint8
		wantName     string
		wantSpeedBps uint64
	}{
		{"HC counters, 20 rows in 3 round trips", newFakeAgent(routerMIB(20, false, 5000)...), 10, 3, 64, "e7", 1_000_000_000},
		{"legacy device falls back to 32-bit", newFakeAgent(routerMIB(20, true, 5000)...), 10, 3 + 3, 32, "eth7", 100_000_000},
		{"agent truncating to 25 varbinds", func() *fakeAgent { a := newFakeAgent(routerMIB(20, false, 5000)...); a.maxVarbinds = 25; return a }(), 10, 0, 64, "e7", 1_000_000_000},
		{"ifNumber understated", func() *fakeAgent {
			a := newFakeAgent(routerMIB(20, false, 5000)...)
			a.set(pdu("1.3.6.1.2.1.2.1.0", gosnmp.Integer, 5))
			return a
		}(), 10, 3, 64, "e7", 1_000_000_000},
		{"agent answering tooBig above 40", func() *fakeAgent { a := newFakeAgent(routerMIB(20, false, 5000)...); a.tooBigAbove = 40; return a }(), 10, 0, 64, "e7", 1_000_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := pollFake(t, tc.agent, tc.maxRep, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Interfaces) != 20 {
				t.Fatalf("got %d interfaces, want 20", len(r.Interfaces))
			}
			if tc.wantBulks > 0 {
				if got := tc.agent.count("bulk"); got != tc.wantBulks {
					t.Errorf("GetBulk requests = %d, want %d", got, tc.wantBulks)
				}
			}
			i := r.Interfaces[6]
			want := IfReading{Index: 7, Name: tc.wantName, Descr: "eth7", AdminStatus: IfUp, OperStatus: IfUp, SpeedBps: tc.wantSpeedBps,
				InOctets: Counter{5000, tc.wantWidth}, OutOctets: Counter{10000, tc.wantWidth}, InErrors: c32(3), OutErrors: c32(4)}
			if tc.wantName == "eth7" {
				want.Name = ""
			}
			if diff := cmp.Diff(want, i); diff != "" {
				t.Errorf("interface 7 (-want +got):\n%s", diff)
			}
			if r.SysName != "r1" || r.SysObjectID != "1.3.6.1.4.1.9.1.1" || r.SysUpTime != 500000 || r.HasHostUpTime {
				t.Errorf("system group = %q %q %d %v", r.SysName, r.SysObjectID, r.SysUpTime, r.HasHostUpTime)
			}
			if r.CPUPercent == nil || *r.CPUPercent != 20 || r.MemoryPercent == nil || *r.MemoryPercent != 25 {
				t.Errorf("cpu %v memory %v, want 20 and 25", r.CPUPercent, r.MemoryPercent)
			}
		})
	}
}

// TestWalkSizedByIfNumber: the last request of a 20-row walk asks one row per column, not a
// whole page of the next column.
func TestWalkSizedByIfNumber(t *testing.T) {
	a := newFakeAgent(routerMIB(20, false, 1)...)
	if _, err := pollFake(t, a, 10, nil); err != nil {
		t.Fatal(err)
	}
	sized := a.varbinds
	b := newFakeAgent(routerMIB(20, false, 1)...)
	b.set(pdu("1.3.6.1.2.1.2.1.0", gosnmp.Integer, 0)) // unknown size
	if _, err := pollFake(t, b, 10, nil); err != nil {
		t.Fatal(err)
	}
	// 19 columns × 10 rows; the 10 interface columns the fake has × 10 rows; then 10 × 1
	// instead of 10 × 10 to see the end.
	const withHint, without = 19*10 + 10*10 + 10*1, 19*10 + 10*10 + 10*10
	if sized != withHint || b.varbinds != without {
		t.Errorf("values fetched: %d with ifNumber (want %d), %d without (want %d)", sized, withHint, b.varbinds, without)
	}
}

func TestPollExtraOIDs(t *testing.T) {
	a := newFakeAgent(routerMIB(2, false, 1)...)
	a.set(pdu("1.3.6.1.4.1.2636.3.1.13.1.8.1", gosnmp.Gauge32, uint(40)))
	a.set(pdu("1.3.6.1.4.1.2636.3.1.13.1.8.2", gosnmp.Gauge32, uint(60)))
	a.set(pdu("1.3.6.1.4.1.12356.101.4.1.8.0", gosnmp.OctetString, []byte(" 1234 ")))
	extra, err := ParseExtraOIDs("juniper_cpu 1.3.6.1.4.1.2636.3.1.13.1.8 role=cpu agg=avg\nsessions 1.3.6.1.4.1.12356.101.4.1.8.0 scale=0.5\nmissing 1.3.6.1.4.1.99.1.0\nmaxcpu 1.3.6.1.4.1.2636.3.1.13.1.8 agg=max")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pollFake(t, a, 10, extra)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, e := range r.Extra {
		got[e.Name] = []any{e.Value, e.OK}
	}
	want := map[string]any{"juniper_cpu": []any{50.0, true}, "sessions": []any{617.0, true}, "missing": []any{0.0, false}, "maxcpu": []any{60.0, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extra values (-want +got):\n%s", diff)
	}
	if r.CPUPercent == nil || *r.CPUPercent != 50 {
		t.Errorf("cpu = %v, want the profile's cpu OID (50) over hrProcessorLoad (20)", r.CPUPercent)
	}
}

func TestPollErrors(t *testing.T) {
	looping := newFakeAgent(routerMIB(2, false, 1)...)
	looping.repeatFirst = true
	failing := newFakeAgent()
	failing.err = errors.New("request timeout (after 1 retries): max retries exceeded")
	tests := []struct {
		name  string
		agent *fakeAgent
		want  error
	}{
		{"non-increasing OIDs", looping, ErrProtocol},
		{"timeout", failing, ErrTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pollFake(t, tc.agent, 10, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
			if tc.want == ErrTimeout && tc.agent.count("get")+tc.agent.count("bulk") != 1 {
				t.Errorf("a dead agent got %v requests, want 1", tc.agent.requests)
			}
		})
	}
}

func TestWalkEmptyAnswerIsAnError(t *testing.T) {
	empty := &emptyAgent{} // answers every GetBulk with no varbinds: the walker must not spin
	_, err := walkColumns(context.Background(), empty, Target{Host: "h"}, walkPlan{roots: []OID{MustOID("1.3.6.1.2.1.2.2.1.2")}, maxRep: 10}, func(int, OID, gosnmp.SnmpPDU) {})
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("error = %v, want ErrProtocol", err)
	}
}

type emptyAgent struct{ fakeAgent }

func (e *emptyAgent) GetBulk([]string, uint8, uint32) (*gosnmp.SnmpPacket, error) {
	return &gosnmp.SnmpPacket{}, nil
}
