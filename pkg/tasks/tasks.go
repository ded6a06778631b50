package tasks

import (
	"encoding/json"
	"fmt"
	"time"
)

// Queue names. Priorities are set by the worker config (critical 6, default 3, low 1).
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
	QueueNotify   = "notify"
)

// Queues returns every queue WardOps uses, highest priority first.
func Queues() []string { return []string{QueueCritical, QueueDefault, QueueNotify, QueueLow} }

// Task type names.
const (
	// TypePingCycle fans one ping slot out into TypePingBatch tasks.
	TypePingCycle = "cycle:ping"
	// TypeSNMPCycle fans one SNMP slot out into TypeSNMPBatch tasks.
	TypeSNMPCycle = "cycle:snmp"
	// TypePingBatch pings a batch of devices for one slot.
	TypePingBatch = "ping:batch"
	// TypePingDevice is an on-demand ping of one device (critical queue).
	TypePingDevice = "ping:device"
	// TypeSNMPBatch polls a batch of devices over SNMP for one slot.
	TypeSNMPBatch = "snmp:batch"
	// TypeSNMPTest is an on-demand SNMP poll of one device (critical queue).
	TypeSNMPTest = "snmp:test"
	// TypeAlertEval evaluates every alert rule once, after a cycle.
	TypeAlertEval = "alert:eval"
	// TypeNotify delivers one alert event to one channel.
	TypeNotify = "notify:deliver"
	// TypeWorkerHealth samples worker and queue health.
	TypeWorkerHealth = "ops:worker_health"
	// TypeRetention drops expired partitions, creates new ones and rolls up.
	TypeRetention = "ops:retention"
)

// CyclePayload is the payload of a cycle task: one slot of a periodic job.
type CyclePayload struct {
	// Slot is the slot number: SlotStart.Unix() / interval seconds.
	Slot int64 `json:"slot"`
	// SlotStart is the start of the slot (UTC).
	SlotStart time.Time `json:"slot_start"`
	// Interval is the length of the slot.
	Interval time.Duration `json:"interval"`
}

// Deadline is the moment after which work for this slot must be skipped, not started:
// the start of the next slot.
func (p CyclePayload) Deadline() time.Time { return p.SlotStart.Add(p.Interval) }

// BatchPayload is the payload of a batch task (ping or SNMP) for one slot.
type BatchPayload struct {
	CyclePayload
	// Batch is the index of this batch within the slot.
	Batch int `json:"batch"`
	// DeviceIDs are the devices of the batch.
	DeviceIDs []int64 `json:"device_ids"`
	// Rescue numbers a batch re-enqueued because the worker running it died (0 for the batch
	// the cycle fanned out, 1 for its first rescue…).
	Rescue int `json:"rescue,omitempty"`
	// StartBy, when set, replaces Deadline as the moment after which the batch is skipped: a
	// rescued batch may start a little after its slot ended, by the time its worker's death
	// took to notice.
	StartBy time.Time `json:"start_by,omitzero"`
}

// LatestStart is the moment after which the batch must be skipped, not started: StartBy if
// set, else the slot's deadline.
func (p BatchPayload) LatestStart() time.Time {
	if !p.StartBy.IsZero() {
		return p.StartBy
	}
	return p.Deadline()
}

// EvalPayload is the payload of TypeAlertEval: the cycle that just completed.
type EvalPayload struct {
	CyclePayload
	// Kind is "ping" or "snmp".
	Kind string `json:"kind"`
}

// DevicePayload is the payload of an on-demand task for one device.
type DevicePayload struct {
	DeviceID int64 `json:"device_id"`
}

// Encode marshals a payload; payload types here always marshal.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("tasks: marshal %T: %v", v, err)) // programming error: payloads are plain structs
	}
	return b
}

// Decode unmarshals a payload, naming the task type in the error.
func Decode(typ string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s payload: %w", typ, err)
	}
	return nil
}

// BatchTaskID is the deterministic asynq task ID of a batch: asynq refuses a second task with
// the same ID, which makes "each (batch, slot) is enqueued exactly once" hold across schedulers.
func BatchTaskID(typ string, slot int64, batch int) string {
	return fmt.Sprintf("%s:%d:%d", typ, slot, batch)
}

// RescueTaskID is the asynq task ID of the n-th rescue of a batch: several workers noticing
// the same dead batch create its rescue once.
func RescueTaskID(typ string, slot int64, batch, n int) string {
	return fmt.Sprintf("%s:rescue%d", BatchTaskID(typ, slot, batch), n)
}

// CycleTaskID is the deterministic asynq task ID of a cycle task.
func CycleTaskID(typ string, slot int64) string {
	return fmt.Sprintf("%s:%d", typ, slot)
}
