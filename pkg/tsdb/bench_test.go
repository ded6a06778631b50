package tsdb

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/VictoriaMetrics/metrics"

	"github.com/wardops/wardops/testinfra/testenv"
)

// Benchmarks for `go tool task bench:tsdb` (scripts/bench-tsdb.sh). Environment:
//   WARDOPS_BENCH_VM_URL   VictoriaMetrics to write to (default: a private one per benchmark)
//   WARDOPS_BENCH_SAMPLES  samples per run (default 1,000,000)
//   WARDOPS_BENCH_FILE     where BenchmarkSinkWrite also writes the same samples as one gzip
//                          Prometheus text file, for the curl comparison

const benchDevices = 1000 // × 10 samples per device and cycle, 50 devices per batch (a batch task)

func benchVM(b *testing.B) string {
	if u := os.Getenv("WARDOPS_BENCH_VM_URL"); u != "" {
		return u
	}
	return testenv.NewVM(b).URL()
}

func benchSamples() int {
	if n, err := strconv.Atoi(os.Getenv("WARDOPS_BENCH_SAMPLES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchBatches returns n samples (rounded to whole batches) as batches of 500: cycles 30 s
// apart ending a minute ago, 1,000 devices of 6 ping and 4 interface samples each. src tells
// runs apart, so that each run creates its own series.
func benchBatches(n int, src string) [][]Sample {
	cycles := max(1, n/(benchDevices*10))
	end := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	var out [][]Sample
	for c := range cycles {
		at := end.Add(-time.Duration(cycles-1-c) * 30 * time.Second)
		for first := 1; first <= benchDevices; first += 50 {
			batch := make([]Sample, 0, 500)
			for id := int64(first); id < int64(first+50); id++ {
				dev := DeviceLabels{ID: id, Name: "bench-" + strconv.FormatInt(id, 10), Branch: "B" + strconv.FormatInt(id%100, 10), Region: "R", Type: src}
				rtt := time.Duration(c%50+1) * time.Millisecond
				batch = append(batch, PingSamples(dev, at, device.PingResult{RTTMinMS: msp(rtt), RTTAvgMS: msp(rtt), RTTMaxMS: msp(rtt), JitterMS: msp(rtt / 10), Sent: 3, Received: 3, Status: "up"})...)
				for _, ifn := range []string{"Gi0/0", "Gi0/1"} {
					batch = append(batch, dev.Sample(MetricIfInBits, at, float64(c*1000), Label{LabelIfName, ifn}),
						dev.Sample(MetricIfOutBits, at, float64(c*2000), Label{LabelIfName, ifn}))
				}
			}
			out = append(out, batch)
		}
	}
	return out
}

func count(batches [][]Sample) int {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	return n
}

// BenchmarkSinkWrite measures samples per second through Sink.Write into VictoriaMetrics, by
// one writer and by 16 concurrent writers (a worker runs up to 50 tasks at once).
func BenchmarkSinkWrite(b *testing.B) {
	vmURL := benchVM(b)
	pool := testenv.NewDB(b)
	if f := os.Getenv("WARDOPS_BENCH_FILE"); f != "" {
		writeBenchFile(b, f, benchBatches(benchSamples(), "curl"))
	}
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			batches := benchBatches(benchSamples(), fmt.Sprintf("sink%d", writers))
			sink := mustSink(b, SinkParams{URL: vmURL, Spool: NewSpool(pool, 0), Metrics: metrics.NewSet()})
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				writeAll(b, sink, batches, writers)
				elapsed = time.Since(start)
			}
			if n := spoolSamples(b, pool); n != 0 {
				b.Fatalf("%d samples spooled during the benchmark", n)
			}
			b.ReportMetric(float64(count(batches))/elapsed.Seconds(), "samples/s")
			b.ReportMetric(float64(count(batches)), "samples")
		})
	}
}

func writeAll(b *testing.B, sink *Sink, batches [][]Sample, writers int) {
	ch := make(chan []Sample)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for batch := range ch {
				if err := sink.Write(context.Background(), batch); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, batch := range batches {
		ch <- batch
	}
	close(ch)
	wg.Wait()
}

func writeBenchFile(b *testing.B, path string, batches [][]Sample) {
	var all []Sample
	for _, batch := range batches {
		all = append(all, batch...)
	}
	var e encoder
	enc, err := e.encode(all)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, enc.body, 0o644); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote %d samples (%d gzip bytes) to %s", enc.samples, len(enc.body), path)
}

// BenchmarkDrain measures how fast a spool of WARDOPS_BENCH_SAMPLES samples (spooled as 500-
// sample batches, as failed batch tasks leave them) is sent back to VictoriaMetrics. It also
// reports the spooling rate (what the write path sustains during an outage) and checks that
// VictoriaMetrics holds every sample.
func BenchmarkDrain(b *testing.B) {
	vmURL := benchVM(b)
	pool := testenv.NewDB(b)
	batches := benchBatches(benchSamples(), "drain")
	spool := NewSpool(pool, int64(count(batches)))
	sink := mustSink(b, SinkParams{URL: vmURL, Spool: spool, Metrics: metrics.NewSet()})
	var fill, drain time.Duration
	for b.Loop() {
		start := time.Now()
		for _, batch := range batches {
			enc, err := sink.enc.encode(batch)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := spool.push(context.Background(), enc); err != nil {
				b.Fatal(err)
			}
		}
		fill = time.Since(start)
		start = time.Now()
		if err := sink.Drain(context.Background()); err != nil {
			b.Fatal(err)
		}
		drain = time.Since(start)
	}
	if n := spoolSamples(b, pool); n != 0 {
		b.Fatalf("%d samples left in the spool", n)
	}
	n := float64(count(batches))
	b.ReportMetric(n/fill.Seconds(), "spooled-samples/s")
	b.ReportMetric(n/drain.Seconds(), "drained-samples/s")
	b.ReportMetric(n, "samples")
	checkStored(b, vmURL, `{type="drain"}`, count(batches))
}

// checkStored counts the raw samples VictoriaMetrics holds for match over the last day.
func checkStored(b *testing.B, vmURL, match string, want int) {
	if _, err := httpGet(vmURL + "/internal/force_flush"); err != nil {
		b.Fatal(err)
	}
	q, err := NewQuerier(vmURL, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	res, err := q.QueryRange(context.Background(), "sum(count_over_time("+match+"[1d]))", now, now, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Points) == 0 || int(res[0].Points[len(res[0].Points)-1].V) != want {
		b.Fatalf("VictoriaMetrics holds %v samples of %s, want %d", res, match, want)
	}
}

// BenchmarkEncodeBatch measures the client side of a write: a 500-sample batch to gzip text.
func BenchmarkEncodeBatch(b *testing.B) {
	batch := benchBatches(10000, "x")[0]
	var e encoder
	for b.Loop() {
		if _, err := e.encode(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
