package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v5"

	"github.com/wardops/wardops/pkg/alert"
	"github.com/wardops/wardops/pkg/secrets"
	"github.com/wardops/wardops/pkg/snmp"
	"github.com/wardops/wardops/pkg/tasks"
)

// SNMPManager manages devices' SNMP settings and reads what polls stored.
type SNMPManager interface {
	DeviceSettings(ctx context.Context, deviceID int64) (*snmp.Settings, error)
	PutDeviceSettings(ctx context.Context, deviceID int64, in snmp.Settings) (snmp.Settings, error)
	DeleteDeviceSettings(ctx context.Context, deviceID int64) error
	Interfaces(ctx context.Context, deviceID int64) ([]snmp.Interface, error)
	State(ctx context.Context, deviceID int64) (*snmp.DeviceState, error)
	SetInterfaceRole(ctx context.Context, deviceID, ifIndex int64, role string) (string, error)
}

var _ SNMPManager = (*snmp.Service)(nil)

// snmpTestWait is how long POST …/snmp-test waits for the worker's answer before it returns
// the task to poll instead.
const snmpTestWait = 20 * time.Second

func (s *Server) snmpRoutes() {
	if s.p.SNMP == nil {
		return
	}
	g := s.V1
	g.GET("/devices/:id/interfaces", s.deviceInterfaces, s.viewer())
	g.PUT("/devices/:id/interfaces/:ifindex/role", s.putInterfaceRole, s.admin())
	g.GET("/devices/:id/snmp", s.getDeviceSNMP, s.viewer())
	g.PUT("/devices/:id/snmp", s.putDeviceSNMP, s.admin())
	g.DELETE("/devices/:id/snmp", s.deleteDeviceSNMP, s.admin())
	g.POST("/devices/:id/snmp-test", s.snmpTest, s.operator())
}

// snmpError maps SNMP settings errors: a bad field 400, no key for a secret 409.
func snmpError(err error, id int64) error {
	var fe *snmp.FieldError
	switch {
	case errors.As(err, &fe):
		return badRequest("snmp."+fe.Field, "%s", fe.Error())
	case errors.Is(err, secrets.ErrNoKey):
		return &Error{Status: http.StatusConflict, Code: "no_secret_key", Field: "snmp",
			Message: "SNMP secrets cannot be stored: the server has no WARDOPS_SECRET_KEY"}
	case errors.Is(err, snmp.ErrNotConfigured):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "device has no SNMP settings"}
	}
	return storeError(err, "device", id)
}

func (s *Server) deviceInterfaces(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	ifs, err := s.p.SNMP.Interfaces(c.Request().Context(), id)
	if err != nil {
		return snmpError(err, id)
	}
	return c.JSON(http.StatusOK, map[string]any{"interfaces": orEmpty(ifs)})
}

// putInterfaceRole sets the role of one interface: {"role":"uplink"}; "" clears it (the role
// is then derived from ifAlias by the profile's role pattern).
func (s *Server) putInterfaceRole(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	idx, err := strconv.ParseInt(c.Param("ifindex"), 10, 64)
	if err != nil || idx < 0 || idx > 4294967295 {
		return badRequest("ifindex", "ifindex %q is not an interface index", c.Param("ifindex"))
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	var in struct {
		Role *string `json:"role"`
	}
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if in.Role == nil || (*in.Role != "" && !alert.ValidRole(*in.Role)) {
		return badRequest("role", "role must be \"\" or 1 to 32 of a-z, 0-9, _ and -")
	}
	before, err := s.p.SNMP.SetInterfaceRole(c.Request().Context(), id, idx, *in.Role)
	if err != nil {
		return storeError(err, "interface", idx)
	}
	return c.JSON(http.StatusOK, map[string]any{"device_id": id, "if_index": idx, "role": *in.Role, "previous_role": before})
}

// getDeviceSNMP answers the settings (secrets only as *_set flags) and the last poll state.
func (s *Server) getDeviceSNMP(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.p.SNMP.DeviceSettings(ctx, id)
	if err != nil {
		return snmpError(err, id)
	}
	st, err := s.p.SNMP.State(ctx, id)
	if err != nil && !errors.Is(err, snmp.ErrNotConfigured) {
		return snmpError(err, id)
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": set, "state": st})
}

func (s *Server) putDeviceSNMP(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	var in snmp.Settings
	if err := decodeStrict(c, &in); err != nil {
		return err
	}
	if _, err := s.p.Store.GetDevice(c.Request().Context(), id); err != nil { // a deleted device takes no settings
		return storeError(err, "device", id)
	}
	before := s.snmpAudit(c.Request().Context(), id)
	out, err := s.p.SNMP.PutDeviceSettings(c.Request().Context(), id, in)
	if err != nil {
		return snmpError(err, id)
	}
	s.record(c, "device.snmp.put", "device", id, before, out)
	return c.JSON(http.StatusOK, map[string]any{"settings": out})
}

func (s *Server) deleteDeviceSNMP(c *echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.checkDevice(c, id); err != nil {
		return err
	}
	before := s.snmpAudit(c.Request().Context(), id)
	if err := s.p.SNMP.DeleteDeviceSettings(c.Request().Context(), id); err != nil {
		return snmpError(err, id)
	}
	s.record(c, "device.snmp.delete", "device", id, before, nil)
	return c.NoContent(http.StatusNoContent)
}

// snmpTest polls the device once on the critical queue and answers what was read, or the
// exact error (timeout, auth failure, unknown user…); after snmpTestWait it answers 202 with
// the task to poll.
func (s *Server) snmpTest(c *echo.Context) error {
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
	info, err := s.p.Client.EnqueueContext(ctx, asynq.NewTask(tasks.TypeSNMPTest, tasks.Encode(tasks.DevicePayload{DeviceID: id})),
		asynq.Queue(tasks.QueueCritical), asynq.MaxRetry(0), asynq.Timeout(time.Minute), asynq.Retention(time.Hour))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(snmpTestWait)
	for time.Now().Before(deadline) {
		ti, err := s.p.Tasks.GetTaskInfo(info.Queue, info.ID)
		if err == nil && ti.State == asynq.TaskStateCompleted && json.Valid(ti.Result) {
			return c.JSONBlob(http.StatusOK, ti.Result)
		}
		if err == nil && ti.State == asynq.TaskStateArchived {
			return &Error{Status: http.StatusBadGateway, Code: "snmp_test_failed", Message: ti.LastErr}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
	return c.JSON(http.StatusAccepted, map[string]any{"task_id": info.ID, "queue": info.Queue,
		"status_url": "/api/v1/tasks/" + info.Queue + "/" + info.ID})
}

// snmpAudit is a device's SNMP settings for the audit trail (nil: none).
func (s *Server) snmpAudit(ctx context.Context, id int64) any {
	if st, err := s.p.SNMP.DeviceSettings(ctx, id); err == nil && st != nil {
		return st
	}
	return nil
}
