package snmp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/wardops/wardops/pkg/store"
	"github.com/wardops/wardops/pkg/tasks"
)

// TestResult is the answer of an on-demand poll (POST /api/v1/devices/{id}/snmp-test): what was
// read, or the exact error. Nothing is stored.
type TestResult struct {
	DeviceID int64   `json:"device_id"`
	Target   string  `json:"target"`
	Version  Version `json:"version"`
	OK       bool    `json:"ok"`
	// Error is set when the poll failed: kind is one of the ErrorKind values
	// (timeout, refused, auth_failure, decryption_failure, unknown_user, ...).
	Error         *TestError      `json:"error,omitempty"`
	DurationMS    float64         `json:"duration_ms"`
	Requests      int             `json:"requests"`
	System        *TestSystem     `json:"system,omitempty"`
	CPUPercent    *float64        `json:"cpu_percent"`
	MemoryPercent *float64        `json:"memory_percent"`
	Interfaces    []TestInterface `json:"interfaces"`
	Extra         []ExtraValue    `json:"extra"`
}

// TestError is a classified poll error.
type TestError struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
}

// TestSystem is the system group read by a test.
type TestSystem struct {
	SysName       string  `json:"sys_name"`
	SysDescr      string  `json:"sys_descr"`
	SysObjectID   string  `json:"sys_object_id"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	UptimeSource  string  `json:"uptime_source"`
}

// TestInterface is one interface read by a test (raw counters, no rates: one sample).
type TestInterface struct {
	IfReading
	AdminStatus string `json:"admin_status"`
	OperStatus  string `json:"oper_status"`
}

// TestHandler is the asynq handler of tasks.TypeSNMPTest (payload tasks.DevicePayload). It
// writes the TestResult as JSON with the task's ResultWriter. A failed poll is a successful
// task (its result carries the error); an unknown or unconfigured device is not retried.
func (s *Service) TestHandler() asynq.Handler { return asynq.HandlerFunc(s.ProcessTest) }

// ProcessTest handles one tasks.TypeSNMPTest task; see TestHandler.
func (s *Service) ProcessTest(ctx context.Context, t *asynq.Task) error {
	var p tasks.DevicePayload
	if err := tasks.Decode(t.Type(), t.Payload(), &p); err != nil {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	res, err := s.Test(ctx, p.DeviceID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrNotConfigured) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode snmp test result: %w", err)
	}
	if w := t.ResultWriter(); w != nil {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write snmp test result: %w", err)
		}
	}
	return nil
}

// Test polls one device once with its stored settings and returns what was read; the poll's
// own failure is in the result (OK false), not the error. The error is for a device that does
// not exist (store.ErrNotFound), has no settings (ErrNotConfigured), or a storage failure.
func (s *Service) Test(ctx context.Context, deviceID int64) (TestResult, error) {
	devs, err := s.p.Devices.DevicesByID(ctx, []int64{deviceID})
	if err != nil {
		return TestResult{}, fmt.Errorf("snmp test: %w", err)
	}
	if len(devs) == 0 {
		return TestResult{}, fmt.Errorf("snmp test of device %d: %w", deviceID, store.ErrNotFound)
	}
	cfgs, err := s.p.Store.SNMPConfigs(ctx, []int64{deviceID})
	if err != nil {
		return TestResult{}, fmt.Errorf("snmp test: %w", err)
	}
	j, ok := s.resolve(devs[0], cfgs[deviceID])
	if !ok {
		return TestResult{}, fmt.Errorf("snmp test of device %d: %w", deviceID, ErrNotConfigured)
	}
	if j.cfgErr != nil {
		return failedTest(deviceID, j.target, j.cfgErr, 0), nil
	}
	return s.testTarget(ctx, deviceID, j.target, j.extra), nil
}

// TestSettings polls a device once with the given settings (e.g. before saving them).
func (s *Service) TestSettings(ctx context.Context, d store.Device, set Settings, extra []ExtraOID) TestResult {
	t := TargetFor(d.IP, set)
	if err := set.Validate(); err != nil {
		return failedTest(d.ID, t, &Error{Kind: KindConfig, Detail: "invalid settings", Err: err}, 0)
	}
	return s.testTarget(ctx, d.ID, t, extra)
}

func (s *Service) testTarget(ctx context.Context, id int64, t Target, extra []ExtraOID) TestResult {
	ctx, cancel := context.WithTimeout(ctx, s.p.DeviceBudget)
	defer cancel()
	start := s.p.Now()
	r, err := s.poller.Poll(ctx, t, extra)
	if err != nil {
		return failedTest(id, t, err, ms(s.p.Now().Sub(start)))
	}
	ticks, source := r.Uptime()
	res := TestResult{
		DeviceID: id, Target: t.Address(), Version: t.Settings.Version, OK: true,
		DurationMS: ms(r.Duration), Requests: r.Requests, CPUPercent: r.CPUPercent, MemoryPercent: r.MemoryPercent,
		System: &TestSystem{SysName: r.SysName, SysDescr: r.SysDescr, SysObjectID: r.SysObjectID,
			UptimeSeconds: float64(ticks) / ticksPerSecond, UptimeSource: source},
		Interfaces: make([]TestInterface, 0, len(r.Interfaces)), Extra: r.Extra,
	}
	for _, i := range r.Interfaces {
		res.Interfaces = append(res.Interfaces, TestInterface{IfReading: i, AdminStatus: i.AdminStatus.String(), OperStatus: i.OperStatus.String()})
	}
	if res.Extra == nil {
		res.Extra = []ExtraValue{}
	}
	return res
}

func failedTest(id int64, t Target, err error, took float64) TestResult {
	kind := KindOf(err)
	if kind == "" {
		kind = KindProtocol
	}
	return TestResult{DeviceID: id, Target: t.Address(), Version: t.Settings.Version, DurationMS: took,
		Error: &TestError{Kind: kind, Message: err.Error()}, Interfaces: []TestInterface{}, Extra: []ExtraValue{}}
}
