// Package tsdb writes samples to VictoriaMetrics and reads series back for graphs.
package tsdb
