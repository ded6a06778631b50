package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/pkg/config"
)

// TestStreamsAreRead sets the live-stream limits to valid non-default values, including the
// edges of their ranges, and checks that each lands in its field.
func TestStreamsAreRead(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want config.Streams
	}{
		{"values", map[string]string{"WARDOPS_SSE_MAX_LIFE": " 15m ", "WARDOPS_SSE_MAX_PER_USER": "4", "WARDOPS_SSE_MAX_STREAMS": "200"},
			config.Streams{MaxLife: 15 * time.Minute, MaxPerUser: 4, MaxStreams: 200}},
		{"lowest", map[string]string{"WARDOPS_SSE_MAX_LIFE": "1m", "WARDOPS_SSE_MAX_PER_USER": "1", "WARDOPS_SSE_MAX_STREAMS": "1"},
			config.Streams{MaxLife: time.Minute, MaxPerUser: 1, MaxStreams: 1}},
		{"highest", map[string]string{"WARDOPS_SSE_MAX_LIFE": "24h", "WARDOPS_SSE_MAX_PER_USER": "1000", "WARDOPS_SSE_MAX_STREAMS": "100000"},
			config.Streams{MaxLife: 24 * time.Hour, MaxPerUser: 1000, MaxStreams: 100_000}},
		{"per user equals the total", map[string]string{"WARDOPS_SSE_MAX_PER_USER": "50", "WARDOPS_SSE_MAX_STREAMS": "50"},
			config.Streams{MaxLife: config.DefaultSSEMaxLife, MaxPerUser: 50, MaxStreams: 50}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := config.LoadAPI(env(tc.env))
			if err != nil {
				t.Fatalf("LoadAPI: %v", err)
			}
			if diff := cmp.Diff(tc.want, got.Streams); diff != "" {
				t.Errorf("Streams (-want +got):\n%s", diff)
			}
		})
	}
}
