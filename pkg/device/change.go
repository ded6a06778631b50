package device

import "time"

// StatusChange is a device whose status changed with a write: the payload of the live
// "status" event (pkg/events), written by the store's ping transaction and read by the alert
// engine and the dashboard. Version is the device's new status version (one sequence for all
// devices: of two states of a device the higher version is newer); BlockedBy the id of its
// topmost down ancestor when the change was written, or nil.
type StatusChange struct {
	DeviceID  int64     `json:"device_id"`
	From      Status    `json:"from"`
	To        Status    `json:"to"`
	At        time.Time `json:"at"`
	Version   int64     `json:"version"`
	BlockedBy *int64    `json:"blocked_by"`
}
