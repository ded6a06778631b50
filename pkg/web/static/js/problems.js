// The problem list (issue 14): what is wrong now, one component for the overview, the wall and
// the alerts page. Rows are ordered by severity, then by age (the oldest first); every critical
// row is always shown; a count per severity heads the list; a list longer than its room ends in
// "+N more", which opens the whole list — never a silent cut. The alerts of one device fold into
// one row ("almaty-sw-01: 29 interfaces down", expandable); an incident is one row with its root,
// the devices behind it and its age. Alerts and incidents of devices in maintenance go to a muted
// "In maintenance" section, acknowledged alerts to their own, both folded.
import * as alerts from './alertsapi.js';
import {SEVERITY} from './alertsapi.js';
import {h, ago, fmtTime} from './dom.js';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

// ALERT_RANK puts alert severities on the status scale of dom.js WORST (critical like down,
// major and minor like degraded, warning like unknown): a branch tile shows the worse of both.
export const ALERT_RANK = {critical: 6, major: 4, minor: 4, warning: 3};

const PAGE = 1000;      // alerts per request (the API's maximum)
const MAX_PAGES = 50;   // 50,000 open alerts at most

// load returns {alerts, incidents} — every open alert (firing, acknowledged, suppressed) and
// every open incident — or null when the API has no alert routes. early.incidents and
// early.alerts, if given, are answers already asked for (the boot's early requests) of
// incidents('open', 1000) and the first page of list({state: 'open', limit: 1000}).
export async function load(early = {}) {
  const [inc, page] = await Promise.all([early.incidents || alerts.incidents('open', 1000), early.alerts || alerts.list({state: 'open', limit: PAGE})]);
  if (inc === null && page === null) return null;
  const list = [...((page && page.alerts) || [])];
  let cursor = page && page.next_cursor;
  for (let i = 1; cursor && i < MAX_PAGES; i++) {
    const next = await alerts.list({state: 'open', limit: PAGE, cursor});
    list.push(...((next && next.alerts) || []));
    cursor = next && next.next_cursor;
  }
  return {alerts: list, incidents: (inc && inc.incidents) || []};
}

// build sorts what load returned into {rows, acked, muted, counts}: rows are the problems to
// act on; counts are firing alerts by severity (not acknowledged, not in maintenance).
export function build(data, fleet) {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  const rows = [], acked = [], muted = [];
  if (!data) return {rows, acked, muted, counts};
  const inMaint = (id) => { const d = id && fleet.byId.get(id); return !!d && d.status === 'maintenance'; };
  const byIncident = new Map();
  for (const a of data.alerts) {
    if (!a.incident_id || a.state === 'suppressed') continue;
    if (!byIncident.has(a.incident_id)) byIncident.set(a.incident_id, []);
    byIncident.get(a.incident_id).push(a);
  }
  const behind = behindByRoot(data.incidents, fleet);
  const shownIncidents = new Set();
  for (const i of data.incidents) {
    shownIncidents.add(i.id);
    const own = byIncident.get(i.id) || [];
    const root = own.find((a) => a.id === i.alert_id) || null;
    const row = incidentRow(i, root, own, behind.get(i.root_device_id) || []);
    if (inMaint(i.root_device_id)) muted.push(row);
    else if (root && root.state === 'acknowledged') acked.push(row);
    else { rows.push(row); for (const a of own) if (a.state === 'firing') counts[a.severity]++; }
  }
  const groups = new Map();
  const group = (list, key, a) => {
    if (!groups.has(key)) groups.set(key, {list, alerts: []});
    groups.get(key).alerts.push(a);
  };
  for (const a of data.alerts) {
    if (a.incident_id && shownIncidents.has(a.incident_id)) continue; // under its incident
    const maint = inMaint(a.device_id) || (a.state === 'suppressed' && a.suppressed_reason === 'maintenance');
    if (maint) { group(muted, `m${a.device_id || 's' + a.id}`, a); continue; }
    if (a.state === 'suppressed') continue; // behind a down parent: its incident shows it
    if (a.state === 'acknowledged') { group(acked, `a${a.device_id || 's' + a.id}`, a); continue; }
    counts[a.severity] = (counts[a.severity] || 0) + 1;
    group(rows, `d${a.device_id || 's' + a.id}`, a);
  }
  for (const [key, g] of groups) g.list.push(deviceRow(key, g.alerts, fleet));
  for (const l of [rows, acked, muted]) l.sort(byUrgency);
  return {rows, acked, muted, counts};
}

function byUrgency(a, b) {
  return (SEVERITY[b.severity] || 0) - (SEVERITY[a.severity] || 0) || a.since - b.since || a.key.localeCompare(b.key);
}

function worstSeverity(list) {
  let worst = 'warning';
  for (const a of list) if ((SEVERITY[a.severity] || 0) > SEVERITY[worst]) worst = a.severity;
  return worst;
}

// behindByRoot maps each incident's root device id → the devices unreachable behind it, from
// the fleet's live state (one pass over the fleet).
function behindByRoot(incidents, fleet) {
  const m = new Map();
  if (!incidents.length) return m;
  for (const i of incidents) m.set(i.root_device_id, []);
  for (const d of fleet.devices) {
    if (fleet.state(d) !== 'unreachable') continue;
    const l = m.get(fleet.blockedBy(d).id);
    if (l) l.push(d);
  }
  return m;
}

function incidentRow(i, root, own, behind) {
  return {kind: 'incident', key: `i${i.id}`, incident: i, root, alerts: own, behind,
    severity: root ? root.severity : (own.length ? worstSeverity(own) : 'critical'),
    since: Date.parse(i.opened_at) || 0, deviceId: i.root_device_id};
}

// KIND_TEXT names a count of alerts of a per-interface kind.
const KIND_TEXT = {if_down: ['interface down', 'interfaces down'], if_util_pct: ['interface over its utilisation threshold', 'interfaces over their utilisation threshold'],
  if_error_rate: ['interface with errors', 'interfaces with errors']};

function deviceRow(key, list, fleet) {
  list.sort(byAlertUrgency);
  const a0 = list[0];
  const dev = a0.device_id ? fleet.byId.get(a0.device_id) : null;
  const name = a0.device || (dev && dev.name) || (a0.device_id ? `device ${a0.device_id}` : 'system');
  // one per-interface kind: "almaty-sw-01: 29 interfaces down"; else the worst alert's summary
  // and how many more the device has
  let title = a0.summary || `${a0.rule} ${name}`;
  if (list.length > 1) {
    const kinds = new Set(list.map((a) => a.kind));
    const k = kinds.size === 1 && KIND_TEXT[a0.kind];
    title = k ? `${name}: ${list.length} ${k[1]}` : `${title} · +${list.length - 1} more on ${name}`;
  }
  return {kind: list.length === 1 ? 'alert' : 'device', key, alerts: list, severity: a0.severity, title, deviceId: a0.device_id,
    since: Math.min(...list.map((a) => Date.parse(a.started_at) || 0))};
}

function byAlertUrgency(a, b) {
  return (SEVERITY[b.severity] || 0) - (SEVERITY[a.severity] || 0) || Date.parse(a.started_at) - Date.parse(b.started_at) || a.id - b.id;
}

// ProblemList draws build's result into el and keeps what the user opened (the full list, an
// expanded row) across updates. limit is the rows shown before "+N more" (criticals always).
export class ProblemList {
  constructor({limit = 12, fleet, id = 'problems'}) {
    this.limit = limit;
    this.fleet = fleet;
    this.all = false;
    this.open = new Set(); // keys of expanded rows
    this.el = h('div', {class: 'problems', id});
    this.data = null;
  }

  // update takes new data from load (undefined: redraw, e.g. after a fleet change).
  update(data) {
    if (data !== undefined) this.data = data;
    this.render();
  }

  render() {
    const p = build(this.data, this.fleet);
    this.last = p;
    const crit = p.rows.filter((r) => r.severity === 'critical').length;
    const room = this.all ? p.rows.length : Math.max(this.limit, crit);
    const shown = p.rows.slice(0, room);
    const hiddenN = p.rows.length - shown.length;
    const head = h('div', {class: 'prob-head'}, SEVERITIES.map((s) => h('span', {class: `sev-count sev-${s}${p.counts[s] ? '' : ' zero'}`, dataset: {sev: s}},
      h('b', null, p.counts[s].toLocaleString()), ` ${s}`)),
    p.acked.length ? h('span', {class: 'muted'}, `· ${p.acked.length} acknowledged`) : null,
    p.muted.length ? h('span', {class: 'muted'}, `· ${p.muted.length} in maintenance`) : null);
    const body = h('div', {class: 'prob-rows'});
    if (p.rows.length === 0) body.append(h('p', {class: 'ok-note'}, '✓ No firing alerts.'));
    for (const r of shown) body.append(this.row(r));
    const more = hiddenN > 0 ? h('button', {type: 'button', class: 'btn small prob-more', dataset: {hidden: hiddenN},
      onclick: () => { this.all = true; this.render(); }}, `+${hiddenN.toLocaleString()} more`) : null;
    const less = this.all && p.rows.length > this.limit ? h('button', {type: 'button', class: 'btn small prob-less',
      onclick: () => { this.all = false; this.render(); }}, 'Show fewer') : null;
    this.el.dataset.rows = p.rows.length;
    this.el.dataset.shown = shown.length;
    this.el.replaceChildren(...[head, body, more, less, this.section('prob-acked', 'Acknowledged', p.acked),
      this.section('prob-muted', 'In maintenance', p.muted)].filter(Boolean));
  }

  section(cls, title, list) {
    if (!list.length) return null;
    const d = h('details', {class: `prob-section ${cls}`}, h('summary', null, `${title} (${list.length})`), list.map((r) => this.row(r)));
    d.open = this.open.has(cls);
    d.addEventListener('toggle', () => { if (d.open) this.open.add(cls); else this.open.delete(cls); });
    return d;
  }

  row(r) {
    const sev = h('span', {class: `sev sev-${r.severity}`}, r.severity);
    const data = {kind: r.kind, key: r.key, severity: r.severity};
    if (r.deviceId) data.device = r.deviceId;
    let title, age, detail = null;
    if (r.kind === 'incident') {
      const i = r.incident;
      data.incident = i.id;
      const n = Math.max(i.affected_count || 0, r.behind.length);
      title = h('span', {class: 'prob-title'}, h('a', {href: `#/devices/${i.root_device_id}`}, i.root_name), ' down',
        n ? ` — ${n} device${n === 1 ? '' : 's'} behind it unreachable` : '', i.branch ? h('span', {class: 'muted'}, ` · ${i.branch}`) : null);
      age = h('span', {class: 'prob-age muted', title: fmtTime(i.opened_at)}, `opened ${ago(i.opened_at)}`);
      if (r.behind.length || r.alerts.length > 1) {
        detail = [r.behind.length ? h('p', {class: 'prob-behind'}, 'Behind it: ', r.behind.slice(0, 60).flatMap((d, k) => [k ? ', ' : '', h('a', {href: `#/devices/${d.id}`}, d.name)]),
          r.behind.length > 60 ? ` and ${r.behind.length - 60} more` : '') : null,
        ...r.alerts.filter((a) => a !== r.root).map(alertLine)];
      }
    } else {
      const a0 = r.alerts[0];
      title = h('span', {class: 'prob-title'}, r.deviceId ? h('a', {href: `#/devices/${r.deviceId}`}, r.title) : r.title);
      age = h('span', {class: 'prob-age muted', title: fmtTime(r.since)}, `since ${ago(r.since)}`);
      if (r.kind === 'device') detail = r.alerts.map(alertLine);
      if (a0.state === 'acknowledged' && a0.acked_by) title.append(h('span', {class: 'muted'}, ` · acknowledged by ${a0.acked_by}`));
    }
    const cls = `prob sev-${r.severity}`;
    if (!detail) return h('div', {class: cls, dataset: data}, h('div', {class: 'prob-line'}, sev, title, age));
    const d = h('details', {class: cls, dataset: data}, h('summary', {class: 'prob-line'}, sev, title, age,
      h('span', {class: 'prob-n muted'}, r.kind === 'incident' ? (r.behind.length ? `${r.behind.length} behind` : 'details') : `${r.alerts.length} alerts`)), h('div', {class: 'prob-detail'}, detail));
    d.open = this.open.has(r.key);
    d.addEventListener('toggle', () => { if (d.open) this.open.add(r.key); else this.open.delete(r.key); });
    return d;
  }
}

function alertLine(a) {
  return h('div', {class: 'prob-alert', dataset: {alert: a.id}}, h('span', {class: `sev sev-${a.severity}`}, a.severity), ' ',
    a.summary || a.rule, a.subject ? h('span', {class: 'muted'}, ` · ${a.subject}`) : null,
    h('span', {class: 'muted', title: fmtTime(a.started_at)}, ` · since ${ago(a.started_at)}`));
}

// alertSeverityByDevice maps device id → the worst severity of its open alerts that count for
// its tile: firing or acknowledged, not suppressed, not of a device in maintenance.
export function alertSeverityByDevice(data, fleet) {
  const m = new Map();
  if (!data) return m;
  for (const a of data.alerts) {
    if (!a.device_id || (a.state !== 'firing' && a.state !== 'acknowledged')) continue;
    if (fleet.byId.get(a.device_id)?.status === 'maintenance') continue;
    const cur = m.get(a.device_id);
    if (!cur || SEVERITY[a.severity] > SEVERITY[cur]) m.set(a.device_id, a.severity);
  }
  return m;
}
