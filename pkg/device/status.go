package device

// Status is a device's state as the ping verdict and maintenance decide it.
type Status string

// The five device statuses.
const (
	// Up: the device answered within the loss threshold.
	Up Status = "up"
	// Down: lost cycles in a row (docs/STATUS.md); a device behind a down parent is still down
	// in this field and has blocked_by set.
	Down Status = "down"
	// Degraded: loss over the verdict window above the profile's threshold.
	Degraded Status = "degraded"
	// Unknown: not measured yet.
	Unknown Status = "unknown"
	// Maintenance: inside a maintenance window; not pinged into alerts.
	Maintenance Status = "maintenance"
)

// Valid reports whether s is one of the five statuses.
func (s Status) Valid() bool {
	switch s {
	case Up, Down, Degraded, Unknown, Maintenance:
		return true
	}
	return false
}
