// Package events carries live events (device status changes, alerts) from the workers to every
// API replica over Redis pub/sub; the API streams them to browsers as server-sent events.
//
// Publisher publishes an event; Hub is the API side: one Redis subscription per process,
// shared by every stream and fanned out in memory through bounded per-subscriber queues, with
// caps on streams per user and per process, a Filter hook per subscriber (scoped roles), and
// revocation notices (Revocation, on RevokedChannel) that end the streams of a revoked token,
// a signed-out session or a changed user on every replica.
package events
