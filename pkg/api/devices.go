package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/inventory"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// optID is a nullable id that remembers whether it was given: absent keeps, null clears.
type optID struct {
	Set bool
	ID  *int64
}

func (o *optID) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.ID = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil || v <= 0 {
		// an UnmarshalTypeError gets the field's name from encoding/json; httpsec describes
		// the wanted value with ExpectedJSON
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[optID]()}
	}
	o.ID = &v
	return nil
}

// ExpectedJSON describes a valid value in the decoder's errors.
func (optID) ExpectedJSON() string { return "a positive integer id or null" }

// deviceBody is the JSON of a device create (name and ip required) or patch (all optional).
type deviceBody struct {
	Name      *string            `json:"name"`
	IP        *string            `json:"ip"`
	Branch    *string            `json:"branch"`
	Region    *string            `json:"region"`
	Type      *string            `json:"type"`
	Vendor    *string            `json:"vendor"`
	Labels    *map[string]string `json:"labels"`
	ParentID  optID              `json:"parent_id"`
	ProfileID optID              `json:"profile_id"`
	Enabled   *bool              `json:"enabled"`
	// SNMP sets the device's SNMP settings (null removes them); see PUT /devices/{id}/snmp.
	SNMP *json.RawMessage `json:"snmp"`
}

// snmpChange is what a device body asks of the SNMP settings: nothing, remove, or put.
type snmpChange struct {
	set      bool
	remove   bool
	settings snmp.Settings
}

// parseSNMP reads the body's snmp field before anything is written; for a new device
// (complete) it is validated whole, for a patch after merging the stored secrets.
func (b deviceBody) parseSNMP(hasSNMP, complete bool) (snmpChange, error) {
	if b.SNMP == nil {
		return snmpChange{}, nil
	}
	if !hasSNMP {
		return snmpChange{}, badRequest("snmp", "SNMP is not available on this server")
	}
	if string(*b.SNMP) == "null" {
		return snmpChange{set: true, remove: true}, nil
	}
	var ch snmpChange
	ch.set = true
	err := json.Unmarshal(*b.SNMP, &ch.settings)
	if err == nil && complete {
		err = ch.settings.Validate()
	}
	if err != nil {
		var fe *snmp.FieldError
		if errors.As(err, &fe) {
			return ch, badRequest("snmp."+fe.Field, "%s", fe.Error())
		}
		return ch, badRequest("snmp", "snmp: %v", err)
	}
	return ch, nil
}

// applySNMP writes the SNMP part of a device body after the device itself was written.
func (s *Server) applySNMP(ctx context.Context, id int64, ch snmpChange) error {
	switch {
	case !ch.set:
		return nil
	case ch.remove:
		return snmpError(s.p.SNMP.DeleteDeviceSettings(ctx, id), id)
	}
	if _, err := s.p.SNMP.PutDeviceSettings(ctx, id, ch.settings); err != nil {
		return snmpError(err, id)
	}
	return nil
}

// apply merges the body onto in, validating every given field.
func (b deviceBody) apply(in *store.DeviceInput) error {
	var err error
	if b.Name != nil {
		if in.Name, err = inventory.Name(*b.Name); err != nil {
			return fieldError(err)
		}
	}
	if b.IP != nil {
		if in.IP, err = inventory.IP(*b.IP); err != nil {
			return fieldError(err)
		}
	}
	for _, f := range []struct {
		name string
		src  *string
		dst  *string
	}{{"branch", b.Branch, &in.Branch}, {"region", b.Region, &in.Region}, {"type", b.Type, &in.Type}, {"vendor", b.Vendor, &in.Vendor}} {
		if f.src != nil {
			if *f.dst, err = inventory.Text(f.name, *f.src); err != nil {
				return fieldError(err)
			}
		}
	}
	if b.Labels != nil {
		if in.Labels, err = inventory.Labels(*b.Labels); err != nil {
			return fieldError(err)
		}
	}
	if b.ParentID.Set {
		in.ParentID = b.ParentID.ID
	}
	if b.ProfileID.Set {
		in.ProfileID = b.ProfileID.ID
	}
	if b.Enabled != nil {
		in.Enabled = *b.Enabled
	}
	return nil
}

func fieldError(err error) error {
	var fe *inventory.FieldError
	if errors.As(err, &fe) {
		return badRequest(fe.Field, "%s %s", fe.Field, fe.Reason)
	}
	return badRequest("", "%v", err)
}

func pathID(c *echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("id", "id %q is not a positive integer", c.Param("id"))
	}
	return id, nil
}

func (s *Server) createDevice(c *echo.Context) error {
	var b deviceBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return badRequest("name", "name is required")
	}
	if b.IP == nil {
		return badRequest("ip", "ip is required")
	}
	in := store.DeviceInput{Enabled: true, Strict: true}
	if err := b.apply(&in); err != nil {
		return err
	}
	sc, err := b.parseSNMP(s.p.SNMP != nil, true)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.p.Store.CreateDevice(ctx, in)
	if err != nil {
		return storeError(err, "device", in.Name)
	}
	if err := s.applySNMP(ctx, d.ID, sc); err != nil {
		// nothing half-created: a device whose SNMP settings were refused is removed again
		_ = s.p.Store.DeleteDevice(context.WithoutCancel(ctx), d.ID)
		return err
	}
	s.record(c, "device.create", "device", d.ID, nil, s.deviceAudit(ctx, d.ID))
	ds, err := s.p.Store.DeviceWithStatusByID(c.Request().Context(), d.ID)
	if err != nil {
		return storeError(err, "device", d.ID)
	}
	return c.JSON(http.StatusCreated, ds)
}

func (s *Server) getDevice(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	ds, err := s.p.Store.DeviceWithStatusByID(c.Request().Context(), id)
	if err != nil {
		return storeError(err, "device", id)
	}
	return c.JSON(http.StatusOK, ds)
}

func (s *Server) patchDevice(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	var b deviceBody
	if err := decodeStrict(c, &b); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := s.p.Store.GetDevice(ctx, id)
	if err != nil {
		return storeError(err, "device", id)
	}
	in := store.DeviceInput{Name: cur.Name, IP: cur.IP, Branch: cur.Branch, Region: cur.Region, Type: cur.Type,
		Vendor: cur.Vendor, Labels: cur.Labels, ParentID: cur.ParentID, ProfileID: cur.ProfileID, Enabled: cur.Enabled,
		// names the patch gives must exist; a row written by SQL with a place that has no object
		// yet gets one instead of refusing an unrelated change
		Strict: b.Branch != nil || b.Region != nil}
	if b.Branch != nil && b.Region == nil {
		in.Region = "" // a device moved to another branch takes that branch's region
	}
	if err := b.apply(&in); err != nil {
		return err
	}
	sc, err := b.parseSNMP(s.p.SNMP != nil, false)
	if err != nil {
		return err
	}
	before := s.deviceAudit(ctx, id)
	if _, err := s.p.Store.UpdateDevice(ctx, id, in); err != nil {
		return storeError(err, "device", id)
	}
	if err := s.applySNMP(ctx, id, sc); err != nil {
		return err
	}
	s.record(c, "device.update", "device", id, before, s.deviceAudit(ctx, id))
	ds, err := s.p.Store.DeviceWithStatusByID(ctx, id)
	if err != nil {
		return storeError(err, "device", id)
	}
	return c.JSON(http.StatusOK, ds)
}

func (s *Server) deleteDevice(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	before := s.deviceAudit(c.Request().Context(), id)
	if err := s.p.Store.DeleteDevice(c.Request().Context(), id); err != nil {
		return storeError(err, "device", id)
	}
	s.record(c, "device.delete", "device", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// listDevices serves one page: {"devices":[…],"next_cursor":"…"|null}.
func (s *Server) listDevices(c *echo.Context) error {
	f, err := deviceFilter(c)
	if err != nil {
		return err
	}
	sc, err := callerScope(c)
	if err != nil {
		return err
	}
	f.Scope = sc.Device()
	list, next, err := s.p.Store.ListDevices(c.Request().Context(), f)
	if err != nil {
		return err
	}
	var cursor *string
	if next > 0 {
		v := strconv.FormatInt(next, 10)
		cursor = &v
	}
	return c.JSON(http.StatusOK, map[string]any{"devices": list, "next_cursor": cursor})
}

func deviceFilter(c *echo.Context) (store.DeviceFilter, error) {
	return parseDeviceFilter(c.Request().URL.Query())
}

// parseDeviceFilter reads the list filters of GET /devices; bad values are 400 naming the
// parameter.
func parseDeviceFilter(q url.Values) (store.DeviceFilter, error) {
	f := store.DeviceFilter{Branch: q.Get("branch"), Region: q.Get("region"), Type: q.Get("type"),
		Status: q.Get("status"), Query: q.Get("q"), Limit: 100}
	if f.Status != "" && !store.ValidStatus(f.Status) {
		return f, badRequest("status", "status must be one of up, down, degraded, unknown, maintenance")
	}
	for name, v := range map[string]string{"branch": f.Branch, "region": f.Region, "type": f.Type, "q": f.Query} {
		if _, err := inventory.Text(name, v); err != nil {
			return f, fieldError(err)
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, badRequest("limit", "limit must be an integer from 1 to 1000")
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, badRequest("cursor", "cursor %q is not one this API returned", v)
		}
		f.After = n
	}
	return f, nil
}

func (s *Server) deviceEvents(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			return badRequest("limit", "limit must be an integer from 1 to 1000")
		}
	}
	evs, err := s.p.Store.DeviceEvents(c.Request().Context(), id, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs})
}

// pingDevice enqueues an on-demand ping on the critical queue and returns the task to poll.
func (s *Server) pingDevice(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.p.Store.GetDevice(ctx, id); err != nil {
		return storeError(err, "device", id)
	}
	info, err := s.p.Client.EnqueueContext(ctx, asynq.NewTask(tasks.TypePingDevice, tasks.Encode(tasks.DevicePayload{DeviceID: id})),
		asynq.Queue(tasks.QueueCritical), asynq.MaxRetry(1), asynq.Timeout(30*time.Second), asynq.Retention(time.Hour))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"task_id": info.ID, "queue": info.Queue,
		"status_url": "/api/v1/tasks/" + info.Queue + "/" + info.ID})
}

// fieldSafe checks a short free-text query parameter.
func fieldSafe(name, v string) (string, error) {
	if _, err := inventory.Text(name, v); err != nil {
		return "", fieldError(err)
	}
	return v, nil
}

// deviceAudit is a device's audit document: its row and, with SNMP, its settings (the secrets
// are redacted by pkg/audit); nil when the device cannot be read.
func (s *Server) deviceAudit(ctx context.Context, id int64) any {
	d, err := s.p.Store.GetDevice(ctx, id)
	if err != nil {
		return nil
	}
	doc := map[string]any{"device": d}
	if s.p.SNMP != nil {
		if st, err := s.p.SNMP.DeviceSettings(ctx, id); err == nil && st != nil {
			doc["snmp"] = st
		}
	}
	return doc
}
