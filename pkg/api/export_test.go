package api

// DeviceBody exposes the device create/patch body to the external tests (FuzzDecodeJSON), so
// that the custom UnmarshalJSON of parent_id/profile_id is fuzzed too.
type DeviceBody = deviceBody

// ParseDeviceFilter exposes the list-filter parser to FuzzDeviceFilter.
var ParseDeviceFilter = parseDeviceFilter
