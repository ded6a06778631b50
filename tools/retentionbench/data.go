package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/wardops/wardops/pkg/store"
)

// fleet lays rows out as the worker would write them: every slot of one UTC day, devices
// devices per slot (the last slot may be partial), one slot every interval.
type fleet struct {
	rows, devices, slots int
	interval             time.Duration
}

func newFleet(rows, devices int) (fleet, error) {
	if rows <= 0 || devices <= 0 {
		return fleet{}, fmt.Errorf("rows (%d) and devices (%d) must be positive", rows, devices)
	}
	slots := (rows + devices - 1) / devices
	iv := (24 * time.Hour / time.Duration(slots)).Truncate(time.Millisecond)
	if iv < time.Millisecond {
		return fleet{}, fmt.Errorf("%d slots of %d devices do not fit in one day: use more devices", slots, devices)
	}
	return fleet{rows: rows, devices: devices, slots: slots, interval: min(iv, 30*time.Second)}, nil
}

// inSlot is the number of devices written in slot s.
func (f fleet) inSlot(s int) int { return min(f.devices, f.rows-s*f.devices) }

// result is the ping result of device index i (ids start at 1) in slot s of day: 2 % of the
// devices are down, one result in 500 lost an echo, the others answered with RTTs that vary.
func (f fleet) result(day time.Time, i, s int) store.PingResult {
	slot := day.Add(time.Duration(s) * f.interval)
	r := store.PingResult{DeviceID: int64(i + 1), SlotAt: slot, Sent: 3, Received: 3, Status: store.StatusUp,
		MeasuredAt: slot.Add(20*time.Millisecond + time.Duration(i%1000)*time.Microsecond)}
	h := uint32(i)*2654435761 ^ uint32(s)*2246822519
	switch {
	case i%50 == 0:
		r.Received, r.LossPct, r.Status = 0, 100, store.StatusDown
		return r
	case h%500 == 0:
		r.Received, r.LossPct, r.Status = 2, 100.0/3, store.StatusDegraded
	}
	lo := 0.05 + float64(h%4096)/8192
	avg, hi, jit := lo*1.25, lo*1.75, lo/8
	r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS = &lo, &avg, &hi, &jit
	return r
}

// writeCSV writes the rows of day as the CSV that `COPY ping_results (pingColumns) FROM STDIN
// (FORMAT csv)` reads: floats in their shortest exact form (the same values the store's binary
// COPY sends), NULL as an empty field.
func (f fleet) writeCSV(path string, day time.Time) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	var b []byte
	for s := 0; s < f.slots; s++ {
		for i := 0; i < f.inSlot(s); i++ {
			b = appendCSV(b[:0], f.result(day, i, s))
			if _, err := w.Write(b); err != nil {
				fh.Close()
				return fmt.Errorf("write csv: %w", err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return fmt.Errorf("write csv: %w", err)
	}
	return fh.Close()
}

// pingColumns are the columns of the CSV, in the store's COPY order.
const pingColumns = "device_id, slot_at, measured_at, sent, received, rtt_min_ms, rtt_avg_ms, rtt_max_ms, jitter_ms, loss_pct, status"

func appendCSV(b []byte, r store.PingResult) []byte {
	b = strconv.AppendInt(b, r.DeviceID, 10)
	b = append(b, ',')
	b = r.SlotAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, ',')
	b = r.MeasuredAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Sent), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Received), 10)
	for _, v := range []*float64{r.RTTMinMS, r.RTTAvgMS, r.RTTMaxMS, r.JitterMS, &r.LossPct} {
		b = append(b, ',')
		if v != nil {
			b = strconv.AppendFloat(b, *v, 'f', -1, 64)
		}
	}
	b = append(b, ',')
	b = append(b, r.Status...)
	return append(b, '\n')
}
