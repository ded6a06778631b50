package tsdb

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestAppendLine(t *testing.T) {
	tests := []struct {
		name    string
		in      Sample
		want    string
		wantErr error
	}{
		{
			name: "labels and ms timestamp",
			in:   Sample{Metric: "m", Labels: []Label{{"a", "x"}, {"b", "y"}}, Value: 1.5, At: t0.Add(123 * time.Millisecond)},
			want: "m{a=\"x\",b=\"y\"} 1.5 1772366400123\n",
		},
		{
			name: "escapes quotes, backslashes, newlines",
			in:   Sample{Metric: "m", Labels: []Label{{"ifName", "Gi0/1 \"up\"\\\n"}}, Value: 2, At: t0},
			want: "m{ifName=\"Gi0/1 \\\"up\\\"\\\\\\n\"} 2 1772366400000\n",
		},
		{
			name: "empty label values left out, no braces when none left",
			in:   Sample{Metric: "m", Labels: []Label{{"a", ""}}, Value: 0, At: t0},
			want: "m 0 1772366400000\n",
		},
		{name: "NaN", in: Sample{Metric: "m", Value: math.NaN(), At: t0}, want: "m NaN 1772366400000\n"},
		{name: "bad metric name", in: Sample{Metric: "1m", At: t0}, wantErr: ErrInvalidSample},
		{name: "bad label name", in: Sample{Metric: "m", Labels: []Label{{"a-b", "x"}}, At: t0}, wantErr: ErrInvalidSample},
		{name: "reserved label name", in: Sample{Metric: "m", Labels: []Label{{"__name__", "x"}}, At: t0}, wantErr: ErrInvalidSample},
		{name: "zero time", in: Sample{Metric: "m"}, wantErr: ErrInvalidSample},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendLine(nil, &tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("line (-want +got):\n%s", diff)
			}
		})
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return string(out)
}

func TestEncodeSkipsInvalidAndTracksOldest(t *testing.T) {
	var e encoder
	b, err := e.encode([]Sample{
		{Metric: "m", Value: 1, At: t0.Add(time.Second)},
		{Metric: "bad-name", Value: 2, At: t0},
		{Metric: "m", Value: 3, At: t0.Add(-time.Second)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := batch{samples: 2, invalid: 1, oldest: t0.Add(-time.Second)}
	got := batch{samples: b.samples, invalid: b.invalid, oldest: b.oldest}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(batch{})); diff != "" {
		t.Errorf("batch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("m 1 1772366401000\nm 3 1772366399000\n", gunzip(t, b.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestTrimBody(t *testing.T) {
	var e encoder
	var in []Sample
	for i := range 5 {
		in = append(in, Sample{Metric: "m", Value: float64(i), At: t0.Add(time.Duration(5-i) * time.Second)})
	}
	b, err := e.encode(in)
	if err != nil {
		t.Fatal(err)
	}
	rest, kept, oldest, err := e.trimBody(b.body, 3)
	if err != nil {
		t.Fatal(err)
	}
	if kept != 2 || !oldest.Equal(t0.Add(time.Second)) {
		t.Errorf("kept %d oldest %v, want 2 and %v", kept, oldest, t0.Add(time.Second))
	}
	if diff := cmp.Diff("m 3 1772366402000\nm 4 1772366401000\n", gunzip(t, rest)); diff != "" {
		t.Errorf("rest (-want +got):\n%s", diff)
	}
}
