// Package cache keeps slow-changing data (monitoring profiles, alert rules, device lists) in
// Redis as JSON with a TTL, read through on a miss and invalidated when the data changes. Ping
// results are never cached: the latest-status table is the source of truth.
package cache
