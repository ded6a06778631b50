package snmp

import (
	"bytes"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/selfmetrics"
	"github.com/wardops/wardops/pkg/selfmetrics/selfmetricstest"
)

// TestMetricsHaveHelpAndType: every wardops_snmp_* family, served through the worker's
// registry, has HELP text and a TYPE that Prometheus' parser accepts.
func TestMetricsHaveHelpAndType(t *testing.T) {
	reg := selfmetrics.New("worker")
	m := newServiceMetrics(reg.Set())
	m.batch("ok")
	m.poll("", 20*time.Millisecond)
	m.poll(KindTimeout, 2*time.Second)
	m.notComputed(map[RateStatus]int{RateReset: 2, RateNoPrevious: 1})
	m.unconfigured(3)
	var b bytes.Buffer
	reg.WritePrometheus(&b)
	problems, _, err := selfmetricstest.Problems(b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for _, p := range problems {
		t.Error(p)
	}
	for _, fam := range []string{"wardops_snmp_batches_total", "wardops_snmp_polls_total", "wardops_snmp_poll_duration_seconds",
		"wardops_snmp_rates_dropped_total", "wardops_snmp_devices_unconfigured_total"} {
		if !bytes.Contains(b.Bytes(), []byte("# TYPE "+fam+" ")) {
			t.Errorf("family %s missing from the exposition", fam)
		}
	}
}
