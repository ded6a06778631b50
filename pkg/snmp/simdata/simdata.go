package simdata

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Defaults of Options.
const (
	DefaultInterfaces = 20
	DefaultPrefix     = "sim"
	// LegacyEvery makes every n-th device (1-based) a device without ifXTable.
	LegacyEvery = 10
)

// Options shape the generated fleet.
type Options struct {
	// Devices is the number of data files to write.
	Devices int
	// Interfaces per device (default DefaultInterfaces).
	Interfaces int
	// Prefix of the device names (default DefaultPrefix): names are <prefix>-0001, ...
	Prefix string
	// Seed makes the generated values reproducible.
	Seed uint64
}

func (o *Options) setDefaults() {
	if o.Interfaces <= 0 {
		o.Interfaces = DefaultInterfaces
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
}

// Name is the device name, data file base name and community of device i (1-based).
func Name(prefix string, i int) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return fmt.Sprintf("%s-%04d", prefix, i)
}

// IsLegacy reports whether device i (1-based) is generated without ifXTable.
func IsLegacy(i int) bool { return i%LegacyEvery == 0 }

// Generate writes one <name>.snmprec per device into dir (created if missing) and returns the
// names written. Existing files of the same names are replaced atomically.
func Generate(dir string, o Options) ([]string, error) {
	o.setDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	names := make([]string, 0, o.Devices)
	for i := 1; i <= o.Devices; i++ {
		name := Name(o.Prefix, i)
		if err := writeFile(filepath.Join(dir, name+".snmprec"), i, o); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

func writeFile(path string, i int, o Options) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	w := bufio.NewWriter(f)
	err = Write(w, i, o)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// Write writes the .snmprec records of device i (1-based), sorted by OID as snmpsim requires.
func Write(w io.Writer, i int, o Options) error {
	o.setDefaults()
	recs := device(i, o)
	slices.SortFunc(recs, func(a, b record) int { return compareOID(a.oid, b.oid) })
	for _, r := range recs {
		if _, err := fmt.Fprintf(w, "%s|%s|%s\n", r.oid, r.tag, r.value); err != nil {
			return err
		}
	}
	return nil
}

type record struct{ oid, tag, value string }

func device(i int, o Options) []record {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(i)))
	name := Name(o.Prefix, i)
	var recs []record
	add := func(oid, tag, value string) { recs = append(recs, record{oid, tag, value}) }
	add("1.3.6.1.2.1.1.1.0", "4", "WardOps simulated branch router "+name)
	add("1.3.6.1.2.1.1.2.0", "6", "1.3.6.1.4.1.8072.3.2.10")
	add("1.3.6.1.2.1.1.3.0", "67:numeric", fmt.Sprintf("initial=%d,rate=100", 100*(3600+rng.IntN(90*86400))))
	add("1.3.6.1.2.1.1.4.0", "4", "noc@bank.example")
	add("1.3.6.1.2.1.1.5.0", "4", name)
	add("1.3.6.1.2.1.1.6.0", "4", "branch "+strconv.Itoa(i))
	add("1.3.6.1.2.1.1.7.0", "2", "78")
	add("1.3.6.1.2.1.2.1.0", "2", strconv.Itoa(o.Interfaces))
	for n := 1; n <= o.Interfaces; n++ {
		recs = append(recs, ifRecords(rng, n, !IsLegacy(i))...)
	}
	return append(recs, hostResources(rng)...)
}

// ifRecords builds one interface: ifTable row and, unless legacy, ifXTable row.
func ifRecords(rng *rand.Rand, n int, hc bool) []record {
	idx := "." + strconv.Itoa(n)
	ift := func(col int) string { return "1.3.6.1.2.1.2.2.1." + strconv.Itoa(col) + idx }
	ifx := func(col int) string { return "1.3.6.1.2.1.31.1.1.1." + strconv.Itoa(col) + idx }
	speedMbps := []int{100, 1000, 1000, 10000}[rng.IntN(4)]
	oper := "1"
	if n%7 == 0 {
		oper = "2" // some ports are unplugged
	}
	admin := "1"
	if n%13 == 0 {
		admin, oper = "2", "2"
	}
	// traffic between 0.1% and 5% of the link speed, in bytes per second
	inRate := float64(speedMbps) * 1e6 / 8 * (0.001 + rng.Float64()*0.049)
	outRate := inRate * (0.2 + rng.Float64())
	if oper != "1" {
		inRate, outRate = 0, 0
	}
	// Realistic, mostly error-free counters (issue 16): discards at about one per million
	// packets, and errors only on every fifth port at under one per 10 minutes, so the default
	// if_error_rate rule (≥ 10/s) stays quiet on the demo. The demo's staged faults are listed
	// in the README (lab-dead-01), not hidden in the counters.
	inDisc, outDisc := inRate/800/1e6, outRate/800/1e6
	inErr, outErr := 0.0, 0.0
	if n%5 == 0 && oper == "1" {
		inErr, outErr = 0.002, 0.001
	}
	ifSpeed := min(uint64(speedMbps)*1e6, 4294967295)
	descr := fmt.Sprintf("GigabitEthernet0/%d", n)
	recs := []record{
		{ift(1), "2", strconv.Itoa(n)},
		{ift(2), "4", descr},
		{ift(3), "2", "6"},
		{ift(4), "2", "1500"},
		{ift(5), "66", strconv.FormatUint(ifSpeed, 10)},
		{ift(6), "4x", fmt.Sprintf("02005e%06x", rng.IntN(1<<24))},
		{ift(7), "2", admin},
		{ift(8), "2", oper},
		{ift(9), "67", strconv.Itoa(rng.IntN(100000))},
		{ift(10), "65:numeric", counter(rng, inRate, true)},
		{ift(11), "65:numeric", counter(rng, inRate/800, true)},
		{ift(13), "65:numeric", counter(rng, inDisc, true)},
		{ift(14), "65:numeric", counter(rng, inErr, true)},
		{ift(15), "65", "0"},
		{ift(16), "65:numeric", counter(rng, outRate, true)},
		{ift(17), "65:numeric", counter(rng, outRate/800, true)},
		{ift(19), "65:numeric", counter(rng, outDisc, true)},
		{ift(20), "65:numeric", counter(rng, outErr, true)},
		{ift(21), "66", "0"},
	}
	if !hc {
		return recs
	}
	return append(recs,
		record{ifx(1), "4", fmt.Sprintf("Gi0/%d", n)},
		record{ifx(6), "70:numeric", counter(rng, inRate, false)},
		record{ifx(7), "70:numeric", counter(rng, inRate/800, false)},
		record{ifx(10), "70:numeric", counter(rng, outRate, false)},
		record{ifx(11), "70:numeric", counter(rng, outRate/800, false)},
		record{ifx(14), "2", "1"},
		record{ifx(15), "66", strconv.Itoa(speedMbps)},
		record{ifx(16), "2", "2"},
		record{ifx(17), "2", "1"},
		record{ifx(18), "4", alias(n)},
		record{ifx(19), "67", "0"},
	)
}

// counter is a numeric-variation spec: value = initial + rate × seconds since snmpsimd started.
// 32-bit counters wrap like real ones.
func counter(rng *rand.Rand, ratePerSec float64, wrap32 bool) string {
	// start where ~10 days of this traffic would have brought the counter
	initial := uint64(ratePerSec * 86400 * (1 + 19*rng.Float64()))
	if wrap32 {
		initial %= 1 << 32
	}
	s := fmt.Sprintf("initial=%d,rate=%.3f", initial, ratePerSec)
	if wrap32 {
		s += ",wrap=1"
	}
	return s
}

func alias(n int) string {
	switch {
	case n == 1:
		return "WAN uplink to core"
	case n == 2:
		return "WAN backup (4G)"
	case n <= 10:
		return fmt.Sprintf("LAN floor %d", n-2)
	default:
		return ""
	}
}

// hostResources builds HOST-RESOURCES-MIB processors (oscillating load) and storage (RAM whose
// use oscillates, plus a static disk).
func hostResources(rng *rand.Rand) []record {
	var recs []record
	add := func(oid, tag, value string) { recs = append(recs, record{oid, tag, value}) }
	add("1.3.6.1.2.1.25.1.1.0", "67:numeric", fmt.Sprintf("initial=%d,rate=100", 100*(3600+rng.IntN(90*86400))))
	cpus := 1 + rng.IntN(4)
	for c := 1; c <= cpus; c++ {
		idx := strconv.Itoa(195 + c)
		add("1.3.6.1.2.1.25.3.3.1.1."+idx, "6", "0.0")
		add("1.3.6.1.2.1.25.3.3.1.2."+idx, "2:numeric",
			fmt.Sprintf("function=sin,rate=%.4f,scale=%d,offset=%d", 0.01+rng.Float64()*0.05, 5+rng.IntN(20), 30+rng.IntN(30)))
	}
	ramKB := (1 + rng.IntN(8)) * 1024 * 1024
	storage := []struct {
		idx, typ, descr string
		units, size     int
		used            string
	}{
		{"1", "1.3.6.1.2.1.25.2.1.2", "Physical memory", 1024, ramKB,
			fmt.Sprintf("function=sin,rate=0.005,scale=%d,offset=%d", ramKB/10, ramKB/2)},
		{"31", "1.3.6.1.2.1.25.2.1.4", "/", 4096, 2_000_000, "initial=1200000,rate=0"},
	}
	for _, s := range storage {
		add("1.3.6.1.2.1.25.2.3.1.1."+s.idx, "2", s.idx)
		add("1.3.6.1.2.1.25.2.3.1.2."+s.idx, "6", s.typ)
		add("1.3.6.1.2.1.25.2.3.1.3."+s.idx, "4", s.descr)
		add("1.3.6.1.2.1.25.2.3.1.4."+s.idx, "2", strconv.Itoa(s.units))
		add("1.3.6.1.2.1.25.2.3.1.5."+s.idx, "2", strconv.Itoa(s.size))
		add("1.3.6.1.2.1.25.2.3.1.6."+s.idx, "2:numeric", s.used)
	}
	return recs
}

func compareOID(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.ParseUint(as[i], 10, 64)
		y, _ := strconv.ParseUint(bs[i], 10, 64)
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}
