package tsdb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardops/wardops/pkg/device"

	"github.com/VictoriaMetrics/metrics"
	"github.com/google/go-cmp/cmp"

	"github.com/wardops/wardops/testinfra/testenv"
)

// fleet returns the samples of one cycle: ping samples of three devices and interface samples
// of the first, all at the cycle's timestamp.
func fleet(at time.Time, cycle int) []Sample {
	var out []Sample
	for id := int64(1); id <= 3; id++ {
		dev := DeviceLabels{ID: id, Name: fmt.Sprintf("dev-%d", id), Branch: "Br \"1\"", Region: "North", Type: "router"}
		rtt := time.Duration(cycle+int(id)) * time.Millisecond
		out = append(out, PingSamples(dev, at, device.PingResult{RTTMinMS: msp(rtt), RTTAvgMS: msp(rtt + time.Millisecond),
			RTTMaxMS: msp(rtt + 2*time.Millisecond), JitterMS: msp(time.Millisecond), Sent: 3, Received: 3, Status: "up"})...)
		if id == 1 {
			for _, ifn := range []string{"Gi0/0", "Gi0/1"} {
				out = append(out,
					dev.Sample(MetricIfInBits, at, float64(1000*cycle), Label{LabelIfName, ifn}),
					dev.Sample(MetricIfOutBits, at, float64(2000*cycle), Label{LabelIfName, ifn}))
			}
		}
	}
	return out
}

func TestWriteReadBack(t *testing.T) {
	vm := testenv.NewVM(t)
	pool := testenv.NewDB(t)
	sink := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 0), nil))
	ctx := testenv.Ctx(t, time.Minute)

	// 120 cycles 30 s apart ending now, timestamps with milliseconds.
	end := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	var all []Sample
	for i := range 120 {
		at := end.Add(-time.Duration(119-i)*30*time.Second + 123*time.Millisecond)
		all = append(all, fleet(at, i)...)
	}
	testenv.Must(t, "write", sink.Write(ctx, all))
	if n := spoolSamples(t, pool); n != 0 {
		t.Fatalf("%d samples spooled, want 0 (VictoriaMetrics is up)", n)
	}
	vm.Flush()

	got := exportSeries(t, vm.URL(), `{__name__=~"wardops_.*"}`)
	if diff := cmp.Diff(expectSeries(all), got); diff != "" {
		t.Errorf("stored series (-want +got):\n%s", diff)
	}

	q, err := NewQuerier(vm.URL(), nil)
	testenv.Must(t, "querier", err)
	// the last sample is at end + 123 ms: the graphs' window ends a second later so that it is
	// inside whatever step boundary the query's end falls on (it fell out 1 run in ~20)
	end = end.Add(time.Second)
	res, err := q.Series(ctx, SeriesQuery{DeviceID: 2, Metric: "rtt", Range: "1h", End: end})
	testenv.Must(t, "series rtt", err)
	if len(res.Points) != 120 {
		t.Fatalf("rtt: %d points, want 120 (one per sample)", len(res.Points))
	}
	for i, p := range res.Points {
		// avg is (cycle + id + 1) ms; each 12 s window holds at most one 30 s sample.
		if want := float64(i + 2 + 1); p.V != want {
			t.Fatalf("rtt point %d = %v, want %v", i, p.V, want)
		}
	}

	ifs, err := q.Series(ctx, SeriesQuery{DeviceID: 1, Metric: "in_bps", Range: "1h", End: end})
	testenv.Must(t, "series in_bps", err)
	var names []string
	for _, s := range ifs.Interfaces {
		names = append(names, s.Interface)
		if len(s.Points) != 120 || s.Points[119].V != 119000 || s.Unit != "bps" {
			t.Errorf("interface %s: %d points, last %v %s", s.Interface, len(s.Points), s.Points[len(s.Points)-1], s.Unit)
		}
	}
	if diff := cmp.Diff([]string{"Gi0/0", "Gi0/1"}, names); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
	one, err := q.Series(ctx, SeriesQuery{DeviceID: 1, Metric: "out_bps", Range: "1h", Interface: "Gi0/1", End: end})
	testenv.Must(t, "series out_bps Gi0/1", err)
	if one.Interface != "Gi0/1" || len(one.Points) != 120 || one.Interfaces != nil {
		t.Errorf("one interface: %+v", one)
	}
}

func TestOutageLosesNothingAcrossRestart(t *testing.T) {
	// Without deduplication a sample sent twice would be stored twice: this proves the sink
	// and its spool deliver each sample exactly once on their own.
	vm := testenv.NewVMWith(t, testenv.VMOptions{NoDedup: true})
	pool := testenv.NewDB(t)
	ctx := testenv.Ctx(t, 2*time.Minute)
	base := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	var written []Sample
	cycle := func(s *Sink, i int) {
		t.Helper()
		samples := fleet(base.Add(time.Duration(i)*30*time.Second), i)
		testenv.Must(t, fmt.Sprintf("write cycle %d", i), s.Write(ctx, samples))
		written = append(written, samples...)
	}

	set1 := metrics.NewSet()
	sink1 := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 0), set1))
	run1, stop1 := context.WithCancel(ctx)
	done1 := runSink(sink1, run1)
	for i := range 3 {
		cycle(sink1, i)
	}
	vm.Stop()
	for i := 3; i < 7; i++ {
		cycle(sink1, i)
	}
	// The worker restarts: its sink goes away with its drain loop, the spool stays.
	stop1()
	done1.Wait()

	set2, set3 := metrics.NewSet(), metrics.NewSet()
	sink2 := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 0), set2))
	sink3 := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 0), set3)) // a second replica
	for i := 7; i < 10; i++ {
		cycle(sink2, i)
	}
	perCycle := int64(len(fleet(base, 0)))
	st, err := sink2.Status(ctx)
	testenv.Must(t, "status", err)
	if st.Samples != 7*perCycle || st.Dropped != 0 || st.BoundReached {
		t.Fatalf("status during outage = %+v, want %d samples spooled", st, 7*perCycle)
	}
	if h := Health(st, errors.New("down")); h[:9] != "degraded:" {
		t.Errorf("health during outage = %q", h)
	}

	vm.Start()
	run2, stop2 := context.WithCancel(ctx)
	defer stop2()
	done2, done3 := runSink(sink2, run2), runSink(sink3, run2)
	for i := 10; i < 12; i++ {
		cycle(sink2, i)
	}
	waitFor(t, time.Minute, "spool drained", func() bool { return spoolSamples(t, pool) == 0 })
	stop2()
	done2.Wait()
	done3.Wait()

	vm.Flush()
	got := exportSeries(t, vm.URL(), `{__name__=~"wardops_.*"}`)
	if diff := cmp.Diff(expectSeries(written), got); diff != "" {
		t.Errorf("stored series after outage (-want +got):\n%s", diff)
	}
	counter := func(s *metrics.Set, name string) uint64 { return s.GetOrCreateCounter(name).Get() }
	spooled := counter(set1, "wardops_tsdb_samples_spooled_total") + counter(set2, "wardops_tsdb_samples_spooled_total")
	drained := counter(set2, "wardops_tsdb_samples_drained_total") + counter(set3, "wardops_tsdb_samples_drained_total")
	if spooled < uint64(7*perCycle) || drained != spooled {
		t.Errorf("spooled %d, drained %d: want equal and >= %d", spooled, drained, 7*perCycle)
	}
	st, err = sink2.Status(ctx)
	testenv.Must(t, "status", err)
	if diff := cmp.Diff(SpoolStatus{MaxSamples: DefaultSpoolMaxSamples}, st); diff != "" {
		t.Errorf("status after drain (-want +got):\n%s", diff)
	}
}

func runSink(s *Sink, ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	return &wg
}

func TestSpoolBoundDropsOldest(t *testing.T) {
	vm := testenv.NewVMWith(t, testenv.VMOptions{NoDedup: true})
	pool := testenv.NewDB(t)
	ctx := testenv.Ctx(t, time.Minute)
	vm.Stop()
	set := metrics.NewSet()
	sink := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 10), set))
	base := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
	var all []Sample
	for b := range 4 { // 4 batches of 4 samples: 16 into a bound of 10
		var batch []Sample
		for i := range 4 {
			n := b*4 + i
			batch = append(batch, Sample{Metric: "wardops_test_seq", Labels: []Label{{"k", "v"}}, Value: float64(n), At: base.Add(time.Duration(n) * time.Second)})
		}
		testenv.Must(t, "write", sink.Write(ctx, batch))
		all = append(all, batch...)
	}
	st, err := sink.Status(ctx)
	testenv.Must(t, "status", err)
	want := SpoolStatus{Samples: 10, MaxSamples: 10, Dropped: 6, BoundReached: true}
	if diff := cmp.Diff(want, st, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".OldestAge" }, cmp.Ignore())); diff != "" {
		t.Errorf("status at bound (-want +got):\n%s", diff)
	}
	if age := time.Since(base.Add(6 * time.Second)); st.OldestAge < age-time.Minute || st.OldestAge > age+time.Minute {
		t.Errorf("oldest age %s, want about %s (sample 6 is the oldest kept)", st.OldestAge, age)
	}
	if h := Health(st, errors.New("down")); h[:9] != "critical:" {
		t.Errorf("health at bound = %q, want critical", h)
	}
	if n := set.GetOrCreateCounter("wardops_tsdb_samples_dropped_total").Get(); n != 6 {
		t.Errorf("dropped counter = %d, want 6", n)
	}

	vm.Start()
	testenv.Must(t, "drain", sink.Drain(ctx))
	vm.Flush()
	if diff := cmp.Diff(expectSeries(all[6:]), exportSeries(t, vm.URL(), `wardops_test_seq`)); diff != "" {
		t.Errorf("stored after drain: the 10 newest (-want +got):\n%s", diff)
	}
	st, err = sink.Status(ctx)
	testenv.Must(t, "status", err)
	if diff := cmp.Diff(SpoolStatus{MaxSamples: 10, Dropped: 6}, st); diff != "" {
		t.Errorf("status after drain (-want +got):\n%s", diff)
	}
}

func TestResendIsDeduplicated(t *testing.T) {
	// A batch VictoriaMetrics stored but whose acknowledgement got lost is sent again with
	// the same timestamps; -dedup.minScrapeInterval=1ms keeps one copy.
	vm := testenv.NewVM(t)
	sink := mustSink(t, fastParams(vm.URL(), NewSpool(testenv.NewDB(t), 0), nil))
	ctx := testenv.Ctx(t, time.Minute)
	samples := fleet(time.Now().UTC().Add(-time.Minute), 1)
	testenv.Must(t, "write", sink.Write(ctx, samples))
	testenv.Must(t, "write again", sink.Write(ctx, samples))
	vm.Flush()
	if diff := cmp.Diff(expectSeries(samples), exportSeries(t, vm.URL(), `{__name__=~"wardops_.*"}`)); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

func TestQuerierUpstreamErrors(t *testing.T) {
	vm := testenv.NewVM(t)
	q, err := NewQuerier(vm.URL(), nil)
	testenv.Must(t, "querier", err)
	ctx := testenv.Ctx(t, time.Minute)
	now := time.Now()
	if _, err := q.QueryRange(ctx, "sum(", now.Add(-time.Hour), now, time.Minute); !errors.Is(err, ErrUpstream) {
		t.Errorf("bad query: err = %v, want ErrUpstream", err)
	}
	testenv.Must(t, "ping", q.Ping(ctx))
	vm.Stop()
	_, err = q.Series(ctx, SeriesQuery{DeviceID: 1, Metric: "cpu", Range: "24h"})
	var ue *UpstreamError
	if !errors.As(err, &ue) || ue.Status != 0 {
		t.Errorf("VictoriaMetrics down: err = %v, want *UpstreamError without status", err)
	}
	if err := q.Ping(ctx); err == nil {
		t.Errorf("ping of a stopped VictoriaMetrics succeeded")
	}
	if _, err := q.Series(ctx, SeriesQuery{DeviceID: 1, Metric: "cpu", Range: "2d"}); errors.Is(err, ErrUpstream) || !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("bad range: err = %v, want ErrInvalidQuery before any request", err)
	}
}

// A live chart (no End) ends with a point at now holding the newest samples, which sit in a
// step that has not ended and so in no range point yet.
func TestLiveSeriesShowsNewestSamples(t *testing.T) {
	vm := testenv.NewVM(t)
	pool := testenv.NewDB(t)
	sink := mustSink(t, fastParams(vm.URL(), NewSpool(pool, 0), nil))
	ctx := testenv.Ctx(t, time.Minute)
	q, err := NewQuerier(vm.URL(), nil)
	testenv.Must(t, "querier", err)

	// Just after the start of a 12 s step (the 1h range's), write one cycle.
	step := StepFor(time.Hour)
	stepEnd := time.Now().Truncate(step).Add(2 * step)
	time.Sleep(time.Until(stepEnd.Add(-step + 200*time.Millisecond)))
	at := time.Now().UTC()
	testenv.Must(t, "write", sink.Write(ctx, fleet(at, 7)))
	vm.Flush()

	// VictoriaMetrics makes fresh rows readable within a second or two; the step is still open.
	var live SeriesResult
	for {
		live, err = q.Series(ctx, SeriesQuery{DeviceID: 2, Metric: "rtt", Range: "1h"})
		testenv.Must(t, "live rtt", err)
		if n := len(live.Points); n > 0 && live.Points[n-1].T >= at.UnixMilli() {
			break
		}
		if time.Now().After(stepEnd) {
			t.Fatalf("live rtt points %v: no point at or after %s before its step ended", live.Points, at.Format(time.RFC3339Nano))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := len(live.Points); live.Points[n-1].V != 7+2+1 {
		t.Errorf("latest rtt point %v, want 10 ms", live.Points[n-1])
	}
	ranged, err := q.Series(ctx, SeriesQuery{DeviceID: 2, Metric: "rtt", Range: "1h", End: time.Now()})
	testenv.Must(t, "rtt with an end", err)
	if time.Now().Before(stepEnd) {
		for _, p := range ranged.Points {
			if p.T >= at.UnixMilli() {
				t.Errorf("a range with an end has point %v inside the open step (the latest point is for live charts only)", p)
			}
		}
	}
	ifs, err := q.Series(ctx, SeriesQuery{DeviceID: 1, Metric: "in_bps", Range: "1h"})
	testenv.Must(t, "live in_bps", err)
	var names []string
	for _, s := range ifs.Interfaces {
		names = append(names, s.Interface)
		if n := len(s.Points); n == 0 || s.Points[n-1].V != 7000 {
			t.Errorf("interface %s: points %v, want a latest point of 7000", s.Interface, s.Points)
		}
	}
	if diff := cmp.Diff([]string{"Gi0/0", "Gi0/1"}, names); diff != "" {
		t.Errorf("interfaces (-want +got):\n%s", diff)
	}
}
