package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Tables that WriteCSV can write.
const (
	TableDevices  = "devices"
	TableBranches = "branches"
	TableOutages  = "outages"
)

// ErrTable is returned for an unknown CSV table.
var ErrTable = fmt.Errorf("table must be %s, %s or %s", TableDevices, TableBranches, TableOutages)

// WriteCSV writes one table of the report as CSV with a header line. Text cells that a
// spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote.
func (r Report) WriteCSV(w io.Writer, table string) error {
	cw := csv.NewWriter(w)
	var err error
	switch table {
	case TableDevices:
		err = cw.Write([]string{"device_id", "device", "branch", "region", "uptime_pct", "down_s", "maintenance_s", "unknown_s", "monitored_s", "outages", "status", "from", "to"})
		for _, d := range r.Devices {
			if err != nil {
				break
			}
			err = cw.Write([]string{id(d.ID), cell(d.Name), cell(d.Branch), cell(d.Region), pctCell(d.UptimePct), secs(d.DownS),
				secs(d.MaintenanceS), secs(d.UnknownS), secs(d.MonitoredS), strconv.Itoa(d.Outages), d.CurrentStatus, ts(r.From), ts(r.To)})
		}
	case TableBranches:
		err = cw.Write([]string{"region", "branch", "devices", "uptime_pct", "down_s", "outages", "from", "to"})
		for _, b := range r.Branches {
			if err != nil {
				break
			}
			err = cw.Write([]string{cell(b.Region), cell(b.Branch), strconv.Itoa(b.Devices), pctCell(b.UptimePct), secs(b.DownS),
				strconv.Itoa(b.Outages), ts(r.From), ts(r.To)})
		}
	case TableOutages:
		err = cw.Write([]string{"device_id", "device", "branch", "region", "start", "end", "duration_s"})
		for _, o := range r.Outages {
			if err != nil {
				break
			}
			end := ""
			if o.End != nil {
				end = ts(*o.End)
			}
			err = cw.Write([]string{id(o.DeviceID), cell(o.Device), cell(o.Branch), cell(o.Region), ts(o.Start), end, secs(o.DurationS)})
		}
	default:
		return ErrTable
	}
	if err != nil {
		return fmt.Errorf("write %s csv: %w", table, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write %s csv: %w", table, err)
	}
	return nil
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func id(v int64) string     { return strconv.FormatInt(v, 10) }
func secs(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }
func pctCell(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}
