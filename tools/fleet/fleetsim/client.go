package fleetsim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardops/wardops/pkg/apiclient"
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

	once      sync.Once
	client    *apiclient.ClientWithResponses
	clientErr error
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

// api is the typed client of the API (pkg/apiclient, generated from its OpenAPI document),
// built on first use.
func (c *Client) api() (*apiclient.ClientWithResponses, error) {
	c.once.Do(func() {
		hc := c.HTTP
		if hc == nil {
			hc = &http.Client{Timeout: 5 * time.Minute}
		}
		// the token is read per request: a caller may set it after the first call
		bearer := apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+c.Token)
			return nil
		})
		c.client, c.clientErr = apiclient.NewClientWithResponses(strings.TrimRight(c.Base, "/")+"/api/v1",
			apiclient.WithHTTPClient(hc), bearer)
	})
	return c.client, c.clientErr
}

// answer is what every generated response has.
type answer interface {
	StatusCode() int
	GetBody() []byte
}

// expect turns a call's outcome into an error unless it answered want (resp is only read
// when err is nil).
func expect(method, path string, resp answer, err error, want int) error {
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode() != want {
		body := resp.GetBody()
		if len(body) > 2000 {
			body = append(body[:2000:2000], "…"...)
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode(), Body: string(body)}
	}
	return nil
}

// Check verifies that the API answers and the token is an admin's (GET /devices?limit=1 works
// for any role, so it also tries an empty import, which only admins may post).
func (c *Client) Check(ctx context.Context) error {
	api, err := c.api()
	if err != nil {
		return err
	}
	one := 1
	list, err := api.ListDevicesWithResponse(ctx, &apiclient.ListDevicesParams{Limit: &one})
	if err := expect(http.MethodGet, "/api/v1/devices", list, err, http.StatusOK); err != nil {
		return err
	}
	imp, err := api.ImportDevicesWithBodyWithResponse(ctx, "text/csv", strings.NewReader(csvHeader))
	err = expect(http.MethodPost, "/api/v1/devices/import", imp, err, http.StatusBadRequest)
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
	api, err := c.api()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	for lo := 0; lo < len(devs); lo += ImportChunk {
		hi := min(lo+ImportChunk, len(devs))
		var b bytes.Buffer
		b.WriteString(csvHeader)
		for _, d := range devs[lo:hi] {
			fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s=%s\n", d.Name, d.IP, d.Branch, d.Region, d.Type, d.Vendor, d.Parent, LabelKey, LabelValue)
		}
		res, err := api.ImportDevicesWithBodyWithResponse(ctx, "text/csv", &b)
		if err := expect(http.MethodPost, "/api/v1/devices/import", res, err, http.StatusOK); err != nil {
			return created, updated, fmt.Errorf("import devices %d-%d: %w", lo+1, hi, err)
		}
		created += int(res.JSON200.Created)
		updated += int(res.JSON200.Updated)
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
	api, err := c.api()
	if err != nil {
		return nil, err
	}
	var out []Listed
	q, limit := NamePrefix, 1000
	params := apiclient.ListDevicesParams{Q: &q, Limit: &limit}
	for {
		page, err := api.ListDevicesWithResponse(ctx, &params)
		if err := expect(http.MethodGet, "/api/v1/devices", page, err, http.StatusOK); err != nil {
			return out, fmt.Errorf("list the fleet: %w", err)
		}
		for _, d := range page.JSON200.Devices {
			l := Listed{ID: d.Id, Name: d.Name}
			if d.Labels != nil {
				l.Labels = *d.Labels
			}
			if l.Mine() {
				out = append(out, l)
			}
		}
		next := page.JSON200.NextCursor
		if next == nil || *next == "" {
			return out, nil
		}
		params.Cursor = next
	}
}

// SNMPv2c is the SNMP settings body of a simulated agent.
type SNMPv2c struct {
	Version   string
	Community string
	Host      string
	Port      int
	TimeoutMS int  // 0: the API's default
	Retries   *int // nil: the API's default
}

// input is the settings as the API takes them.
func (s SNMPv2c) input() apiclient.SNMPSettingsInput {
	port := int64(s.Port)
	in := apiclient.SNMPSettingsInput{Version: &s.Version, Community: &s.Community, Host: &s.Host, Port: &port}
	if s.TimeoutMS != 0 {
		ms := int64(s.TimeoutMS)
		in.TimeoutMs = &ms
	}
	if s.Retries != nil {
		r := int64(*s.Retries)
		in.Retries = &r
	}
	return in
}

// PutSNMP sets the SNMP settings of the devices (ids[i] gets settings[i]), Parallel at a time.
func (c *Client) PutSNMP(ctx context.Context, ids []int64, settings []SNMPv2c) error {
	api, err := c.api()
	if err != nil {
		return err
	}
	return c.each(ctx, len(ids), "SNMP settings set", func(ctx context.Context, i int) error {
		res, err := api.PutDeviceSNMPWithResponse(ctx, ids[i], settings[i].input())
		return expect(http.MethodPut, devicePath(ids[i])+"/snmp", res, err, http.StatusOK)
	})
}

// DeleteSNMP removes the SNMP settings of the devices, Parallel at a time; settings (or a
// device) already gone are not an error.
func (c *Client) DeleteSNMP(ctx context.Context, ids []int64) error {
	api, err := c.api()
	if err != nil {
		return err
	}
	return c.each(ctx, len(ids), "SNMP settings removed", func(ctx context.Context, i int) error {
		res, err := api.DeleteDeviceSNMPWithResponse(ctx, ids[i])
		err = expect(http.MethodDelete, devicePath(ids[i])+"/snmp", res, err, http.StatusNoContent)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return err
	})
}

// Delete deletes the devices, Parallel at a time; a device already gone is not an error.
func (c *Client) Delete(ctx context.Context, ids []int64) error {
	api, err := c.api()
	if err != nil {
		return err
	}
	return c.each(ctx, len(ids), "devices deleted", func(ctx context.Context, i int) error {
		res, err := api.DeleteDeviceWithResponse(ctx, ids[i])
		err = expect(http.MethodDelete, devicePath(ids[i]), res, err, http.StatusNoContent)
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return nil
		}
		return err
	})
}

func devicePath(id int64) string { return "/api/v1/devices/" + strconv.FormatInt(id, 10) }

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
