// Package report computes the availability report of the dashboard: per device and per
// branch, the share of a window (1d, 7d, 30d up to now) a device was reachable, and the list
// of outages, from the devices' status events (store.Availability and store.Outages). It
// serves the report as JSON or CSV through Handler; the API registers the route.
//
// Uptime % = (monitored − down − maintenance − unknown) / (monitored − maintenance − unknown):
// time in maintenance and time without data (unknown) count neither for nor against a device;
// degraded counts as up (the device answered). A branch's figure is weighted by device-time.
package report
