// Package sql holds the numbered goose migrations of the WardOps PostgreSQL schema, embedded so
// that every binary carries its schema.
package sql

import "embed"

// FS holds every migration file (NNNNN_name.sql).
//
//go:embed *.sql
var FS embed.FS
