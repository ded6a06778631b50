// Package secrets encrypts small secrets at rest (SNMP communities and v3 passphrases) with
// AES-256-GCM. A sealed value is a printable string that names the format version and the key
// that sealed it, so a key can be rotated: a Box opens values sealed by any key it was given and
// seals with the first one.
//
// The key comes from WARDOPS_SECRET_KEY: 32 random bytes written as standard base64
// (44 characters, e.g. `openssl rand -base64 32`) or as hex (64 characters,
// `openssl rand -hex 32`). ParseKey accepts both.
package secrets
