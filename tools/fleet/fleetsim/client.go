package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client talks to a WardOps API with an admin token.
type Client struct {
	// Base is the API root, e.g. http://127.0.0.1:5001.
	Base  string
	Token string
	HTTP  *http.Client
	// Parallel is the number of requests in flight for per-device calls (default 8).
	Parallel int
	// Progress receives a line now and then on long runs (may be nil).
	Progress func(format string, args ...any)
}

// APIError is an answer other than the expected status.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

func (c *Client) progress(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(format, args...)
	}
}

func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		if len(b) > 2000 {
			b = append(b[:2000], "…"...)
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: string(b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// Check verifies that the API answers and the token is an admin's (GET /devices?limit=1 works
// for any role, so it also tries an empty import, which only admins may post).
func (c *Client) Check(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, "/api/v1/devices?limit=1", "", nil, http.StatusOK, nil); err != nil {
		return err
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/devices/import", "text/csv", []byte(csvHeader), http.StatusBadRequest, nil)
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusForbidden || ae.Status == http.StatusUnauthorized) {
		return fmt.Errorf("the token is not an admin's: %w", err)
	}
	return nil
}

const csvHeader = "name,ip,branch,region,type,vendor,parent,labels\n"

// ImportChunk is the number of devices per CSV import request.
const ImportChunk = 5000

// Import creates or updates devs through POST /api/v1/devices/import, ImportChunk at a time
// (a parent is in the same chunk or an earlier one, so every parent exists when named).
func (c *Client) Import(ctx context.Context, devs []Device) (created, updated int, err error) {
	start := time.Now()
	for lo := 0; lo < len(devs); lo += ImportChunk {
		hi := min(lo+ImportChunk, len(devs))
		var b bytes.Buffer
		b.WriteString(csvHeader)
		for _, d := range devs[lo:hi] {
			fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s=%s\n", d.Name, d.IP, d.Branch, d.Region, d.Type, d.Vendor, d.Parent, LabelKey, LabelValue)
		}
		var res struct{ Created, Updated int }
		if err := c.do(ctx, http.MethodPost, "/api/v1/devices/import", "text/csv", b.Bytes(), http.StatusOK, &res); err != nil {
			return created, updated, fmt.Errorf("import devices %d-%d: %w", lo+1, hi, err)
		}
		created += res.Created
		updated += res.Updated
		c.progress("imported %d/%d devices (%.1f s)", hi, len(devs), time.Since(start).Seconds())
	}
	return created, updated, nil
}

// Listed is a device as GET /api/v1/devices lists it (the fields used here).
type Listed struct {
	ID     int64             `json:"id"`
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
}

// Mine reports whether the device is one of the fleet's.
func (l Listed) Mine() bool {
	return strings.HasPrefix(l.Name, NamePrefix) && l.Labels[LabelKey] == LabelValue
}

// ListFleet returns every device of the fleet (name prefix and label), 1,000 per request.
func (c *Client) ListFleet(ctx context.Context) ([]Listed, error) {
	var out []Listed
	cursor := ""
	for {
		q := url.Values{"q": {NamePrefix}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Devices    []Listed `json:"devices"`
			NextCursor *string  `json:"next_cursor"`
		}
		if err := c.do(ctx, http.MethodGet, "/api/v1/devices?"+q.Encode(), "", nil, http.StatusOK, &page); err != nil {
			return out, fmt.Errorf("list the fleet: %w", err)
		}
		for _, d := range page.Devices {
			if d.Mine() {
				out = append(out, d)
			}
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return out, nil
		}
		cursor = *page.NextCursor
	}
}

// SNMPv2c is the SNMP settings body of a simulated agent.
type SNMPv2c struct {
	Version   string `json:"version"`
	Community string `json:"community"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	TimeoutMS int    `json:"timeout_ms,omitempty"`
	Retries   *int   `json:"retries,omitempty"`
}

// PutSNMP sets the SNMP settings of the devices (ids[i] gets settings[i]), Parallel at a time.
func (c *Client) PutSNMP(ctx context.Context, ids []int64, settings []SNMPv2c) error {
	return c.each(ctx, len(ids), "SNMP settings set", func(ctx context.Context, i int) error {
		b, _ := json.Marshal(settings[i])
		return c.do(ctx, http.MethodPut, "/api/v1/devices/"+strconv.FormatInt(ids[i], 10)+"/snmp", "application/json", b, http.StatusOK, nil)
	})
}

// DeleteSNMP removes the SNMP settings of the devices, Parallel at a time; settings (or a
// device) already gone are not an error.
func (c *Client) DeleteSNMP(ctx context.Context, ids []int64) error {
	return c.each(ctx, len(ids), "SNMP settings removed", func(ctx context.Context, i int) error {
		err := c.do(ctx, http.MethodDelete, "/api/v1/devices/"+strconv.FormatInt(ids[i], 10)+"/snmp", "", nil, http.StatusNoContent, nil)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return err
	})
}

// Delete deletes the devices, Parallel at a time; a device already gone is not an error.
func (c *Client) Delete(ctx context.Context, ids []int64) error {
	return c.each(ctx, len(ids), "devices deleted", func(ctx context.Context, i int) error {
		err := c.do(ctx, http.MethodDelete, "/api/v1/devices/"+strconv.FormatInt(ids[i], 10), "", nil, http.StatusNoContent, nil)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return err
	})
}

// each runs f(0..n-1) Parallel at a time, stops at the first error and reports progress.
func (c *Client) each(ctx context.Context, n int, what string, f func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	par := c.Parallel
	if par <= 0 {
		par = 8
	}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.progress("%d/%d %s (%.0f s)", done.Load(), n, what, time.Since(start).Seconds())
			}
		}
	}()
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					cancel(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if n > 0 {
		c.progress("%d/%d %s (%.1f s)", done.Load(), n, what, time.Since(start).Seconds())
	}
	return ctx.Err()
}
