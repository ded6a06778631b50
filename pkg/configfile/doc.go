// Package configfile is WardOps' configuration as code: one YAML file (wardops.yaml) that holds
// the regions, branches, monitoring profiles, devices, alert rules, notification channels,
// maintenance windows, the periodic schedule and the users' roles.
//
// Export writes the database's configuration as that file; Apply makes the database match a
// file in one PostgreSQL transaction (all or nothing), through the store's ordinary write
// functions, and returns the field-level diff. A second Apply of the same file changes nothing.
// Secrets never appear in clear: a file names them by reference (${env:NAME} or
// ${file:/path}), and Export writes placeholder references. Errors name the file, the line and
// the field: "wardops.yaml:12: devices[0].branch: branch \"Olten\" is not in the file".
//
// Schema returns the JSON Schema of the file (docs/wardops-config.schema.json), generated
// from the types of this package so that it cannot drift from what Parse accepts.
package configfile
