// Package events carries live events (device status changes, alerts) from the workers to every
// API replica over Redis pub/sub; the API streams them to browsers as server-sent events.
package events
