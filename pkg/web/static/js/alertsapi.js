// Calls to the alert API (issue 5), kept in one place: the routes pkg/api registers (see
// docs/DASHBOARD.md). Every list call resolves to null when the API has no such
// route (404/405), so pages show "alerting not available" instead of failing.
import {get, post, qs} from './api.js';

async function optional(p) {
  try { return await p; } catch (e) {
    if (e.status === 404 || e.status === 405 || e.status === 501) return null;
    throw e;
  }
}

// list returns {alerts:[…], next_cursor, total} for state firing|acknowledged|resolved|
// suppressed|open, optionally of one device or one incident, filtered, sorted and paged on the
// server (GET /alerts: severity, kind, branch, region, q, in_open_incident, sort, order,
// offset); total counts every match. null without an alert API.
export function list({state, device_id, incident_id, limit = 200, cursor, offset, ...filters} = {}, opts) {
  return optional(get(`/alerts${qs({state, device_id, incident_id, ...filters, limit, offset: offset || undefined, cursor})}`, opts));
}

// problems returns the problem list the server builds (GET /alerts/problems: counts per
// severity, the first limit rows of each section and every critical one, at most perRow alerts
// a row); null without an alert API.
export function problems({limit = 50, perRow = 50} = {}, opts) {
  return optional(get(`/alerts/problems${qs({limit, per_row: perRow})}`, opts));
}

// incidents returns {incidents:[…]} (state open|resolved); null without an alert API.
export function incidents(state = 'open', limit = 100, opts) {
  return optional(get(`/incidents${qs({state, limit})}`, opts));
}

// ack acknowledges an alert with a comment, for minutes (0: until it resolves).
export function ack(id, comment, minutes) {
  const body = {comment};
  if (minutes > 0) body.expires_at = new Date(Date.now() + minutes * 60000).toISOString();
  return post(`/alerts/${id}/ack`, body);
}

// close resolves an open alert by hand with a comment.
export function close(id, comment) {
  return post(`/alerts/${id}/close`, {comment});
}

// SEVERITY ranks severities, most severe first.
export const SEVERITY = {critical: 4, major: 3, minor: 2, warning: 1};
