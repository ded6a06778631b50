// Package device is the vocabulary every layer shares about a monitored device's state: the
// typed Status a ping verdict produces (pkg/worker), the store keeps (pkg/store), the alert
// engine observes (pkg/alert), VictoriaMetrics records as a number (pkg/tsdb) and the API and
// dashboard show. It has no dependencies, so any package may import it; the words are defined
// here once instead of as string literals in each layer.
package device
