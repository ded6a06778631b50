// The problem list (issue 14): what is wrong now, one component for the overview, the wall and
// the alerts page. Rows are ordered by severity, then by age (the oldest first); every critical
// row is always shown; a count per severity heads the list; a list longer than its room ends in
// "+N more", which opens the whole list — never a silent cut. The alerts of one device fold into
// one row ("almaty-sw-01: 29 interfaces down", expandable); an incident is one row with its root,
// the devices behind it and its age. Alerts and incidents of devices in maintenance go to a muted
// "In maintenance" section, acknowledged alerts to their own, both folded. The server sorts and
// folds (GET /alerts/problems); this draws what it answers.
import * as alerts from './alertsapi.js';
import {h, ago, fmtTime} from './dom.js';

export const SEVERITIES = ['critical', 'major', 'minor', 'warning'];

// ALERT_RANK puts alert severities on the status scale of dom.js WORST (critical like down,
// major and minor like degraded, warning like unknown): a branch tile shows the worse of both.
export const ALERT_RANK = {critical: 6, major: 4, minor: 4, warning: 3};

// LIMITS are the rows a page asks for before "+N more" (every critical row comes besides) and
// the alerts a row carries: the overview and the alerts page unfold a row in place; the wall
// shows no detail and pages through its rows by itself. FIRST is what every page asks for first
// (index.html preloads it, so it is on its way before the scripts run; the wall then asks for
// its own). The full list (after "+N more") asks for FULL rows.
export const FIRST = {limit: 12, perRow: 50};
export const LIMITS = {overview: FIRST, wall: {limit: 60, perRow: 1}, alerts: FIRST};
const FULL = 1000;

// load asks the server for the problem list (GET /alerts/problems, alert.BuildProblems: it
// sorts and folds every open alert and incident of the caller's scope, so a page gets a few
// kilobytes, not every open alert): {counts, critical_ids, device_severity, rows, acknowledged,
// maintenance}, each section {rows, total}; null when the API has no alert routes.
export function load({limit, perRow}, opts) {
  return alerts.problems({limit, perRow}, opts);
}

// build turns load's answer into {rows, acked, muted, counts, totals}: rows are the problems to
// act on; counts are firing alerts by severity (not acknowledged, not in maintenance); totals
// the rows of each section in all (the server sends the first ones and every critical).
export function build(data, fleet) {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  if (!data) return {rows: [], acked: [], muted: [], counts, totals: {rows: 0, acked: 0, muted: 0}};
  Object.assign(counts, data.counts);
  const secs = [data.rows, data.acknowledged, data.maintenance];
  const behind = behindByRoot(secs.flatMap((s) => s.rows.filter((r) => r.incident).map((r) => r.incident)), fleet);
  const conv = (r) => (r.kind === 'incident' ? incidentRow(r, behind.get(r.incident.root_device_id) || []) : deviceRow(r, fleet));
  return {rows: data.rows.rows.map(conv), acked: data.acknowledged.rows.map(conv), muted: data.maintenance.rows.map(conv), counts,
    totals: {rows: data.rows.total, acked: data.acknowledged.total, muted: data.maintenance.total}};
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

function incidentRow(r, behind) {
  return {kind: 'incident', key: r.key, incident: r.incident, root: r.root || null, alerts: r.alerts, count: r.count, behind,
    severity: r.severity, since: Date.parse(r.since) || 0, deviceId: r.device_id};
}

// KIND_TEXT names a count of alerts of a per-interface kind.
const KIND_TEXT = {if_down: ['interface down', 'interfaces down'], if_util_pct: ['interface over its utilisation threshold', 'interfaces over their utilisation threshold'],
  if_error_rate: ['interface with errors', 'interfaces with errors']};

function deviceRow(r, fleet) {
  const a0 = r.alerts[0];
  const dev = r.device_id ? fleet.byId.get(r.device_id) : null;
  const name = r.device || (dev && dev.name) || (r.device_id ? `device ${r.device_id}` : 'system');
  // one per-interface kind: "almaty-sw-01: 29 interfaces down"; else the worst alert's summary
  // and how many more the device has
  let title = a0.summary || `${a0.rule} ${name}`;
  if (r.count > 1) {
    const k = r.kinds === 1 && KIND_TEXT[a0.kind];
    title = k ? `${name}: ${r.count} ${k[1]}` : `${title} · +${r.count - 1} more on ${name}`;
  }
  return {kind: r.kind, key: r.key, alerts: r.alerts, count: r.count, severity: r.severity, title, deviceId: r.device_id,
    device: name, since: Date.parse(r.since) || 0};
}

// ProblemList loads the problem list (load) and draws it into el, keeping what the user opened
// (the full list, an expanded row) across updates. limit and perRow are what it asks for
// (LIMITS); criticals are always shown past the limit.
export class ProblemList {
  constructor({limit = 12, perRow = 50, fleet, id = 'problems'}) {
    this.limit = limit;
    this.perRow = perRow;
    this.fleet = fleet;
    this.all = false;
    this.open = new Set(); // keys of expanded rows
    this.el = h('div', {class: 'problems', id});
    this.data = null;
  }

  // load asks for the list (the full one once "+N more" was clicked) and draws it; early, if
  // given, is that answer already asked for. It returns the answer (null: no alert API).
  async load(early) {
    const data = await (early || load({limit: this.all ? FULL : this.limit, perRow: this.perRow}));
    this.update(data);
    return data;
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
    const hiddenN = p.totals.rows - shown.length;
    const head = h('div', {class: 'prob-head'}, SEVERITIES.map((s) => h('span', {class: `sev-count sev-${s}${p.counts[s] ? '' : ' zero'}`, dataset: {sev: s}},
      h('b', null, p.counts[s].toLocaleString()), ` ${s}`)),
    p.totals.acked ? h('span', {class: 'muted'}, `· ${p.totals.acked} acknowledged`) : null,
    p.totals.muted ? h('span', {class: 'muted'}, `· ${p.totals.muted} in maintenance`) : null);
    const body = h('div', {class: 'prob-rows'});
    if (p.totals.rows === 0) body.append(h('p', {class: 'ok-note'}, '✓ No firing alerts.'));
    for (const r of shown) body.append(this.row(r));
    const more = hiddenN > 0 ? h('button', {type: 'button', class: 'btn small prob-more', dataset: {hidden: hiddenN},
      onclick: () => this.showAll()}, `+${hiddenN.toLocaleString()} more`) : null;
    const less = this.all && p.rows.length > this.limit ? h('button', {type: 'button', class: 'btn small prob-less',
      onclick: () => { this.all = false; this.render(); }}, 'Show fewer') : null;
    this.el.dataset.rows = p.totals.rows;
    this.el.dataset.shown = shown.length;
    this.el.replaceChildren(...[head, body, more, less, this.section('prob-acked', 'Acknowledged', p.acked, p.totals.acked),
      this.section('prob-muted', 'In maintenance', p.muted, p.totals.muted)].filter(Boolean));
  }

  // showAll opens the whole list: drawn at once from the rows held, then asked for in full.
  async showAll() {
    this.all = true;
    this.render();
    const last = this.last;
    if (last.rows.length < last.totals.rows || last.acked.length < last.totals.acked || last.muted.length < last.totals.muted) {
      try { await this.load(); } catch { /* the next refresh brings it */ }
    }
  }

  section(cls, title, list, total) {
    if (!total) return null;
    const cut = total > list.length && !this.all ? h('button', {type: 'button', class: 'btn small prob-more', onclick: () => this.showAll()},
      `+${(total - list.length).toLocaleString()} more`) : null;
    const d = h('details', {class: `prob-section ${cls}`}, h('summary', null, `${title} (${total})`), list.map((r) => this.row(r)), cut);
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
      if (r.behind.length || r.count > 1) {
        const others = r.alerts.filter((a) => !r.root || a.id !== r.root.id);
        detail = [r.behind.length ? h('p', {class: 'prob-behind'}, 'Behind it: ', r.behind.slice(0, 60).flatMap((d, k) => [k ? ', ' : '', h('a', {href: `#/devices/${d.id}`}, d.name)]),
          r.behind.length > 60 ? ` and ${r.behind.length - 60} more` : '') : null,
        ...others.map(alertLine), moreLine(r, r.count - (r.root ? 1 : 0) - others.length, `#/alerts?state=firing`)];
      }
    } else {
      const a0 = r.alerts[0];
      title = h('span', {class: 'prob-title'}, r.deviceId ? h('a', {href: `#/devices/${r.deviceId}`}, r.title) : r.title);
      age = h('span', {class: 'prob-age muted', title: fmtTime(r.since)}, `since ${ago(r.since)}`);
      if (r.kind === 'device') detail = [...r.alerts.map(alertLine), moreLine(r, r.count - r.alerts.length, `#/alerts?state=firing&q=${encodeURIComponent(r.device)}`)];
      if (a0.state === 'acknowledged' && a0.acked_by) title.append(h('span', {class: 'muted'}, ` · acknowledged by ${a0.acked_by}`));
    }
    const cls = `prob sev-${r.severity}`;
    if (!detail) return h('div', {class: cls, dataset: data}, h('div', {class: 'prob-line'}, sev, title, age));
    const d = h('details', {class: cls, dataset: data}, h('summary', {class: 'prob-line'}, sev, title, age,
      h('span', {class: 'prob-n muted'}, r.kind === 'incident' ? (r.behind.length ? `${r.behind.length} behind` : 'details') : `${r.count} alerts`)), h('div', {class: 'prob-detail'}, detail.filter(Boolean)));
    d.open = this.open.has(r.key);
    d.addEventListener('toggle', () => { if (d.open) this.open.add(r.key); else this.open.delete(r.key); });
    return d;
  }
}

// moreLine says how many alerts of a row were not sent (the per-row limit), with a link to them.
function moreLine(r, n, href) {
  return n > 0 ? h('p', {class: 'prob-alert muted'}, h('a', {href}, `and ${n.toLocaleString()} more alert${n === 1 ? '' : 's'}`)) : null;
}

function alertLine(a) {
  return h('div', {class: 'prob-alert', dataset: {alert: a.id}}, h('span', {class: `sev sev-${a.severity}`}, a.severity), ' ',
    a.summary || a.rule, a.subject ? h('span', {class: 'muted'}, ` · ${a.subject}`) : null,
    h('span', {class: 'muted', title: fmtTime(a.started_at)}, ` · since ${ago(a.started_at)}`));
}

// alertSeverityByDevice maps device id → the worst severity of its open alerts that count for
// its tile (the server's device_severity: firing or acknowledged, not suppressed, not in
// maintenance), leaving out a device the live fleet has put in maintenance since.
export function alertSeverityByDevice(data, fleet) {
  const m = new Map();
  if (!data) return m;
  for (const [id, sev] of Object.entries(data.device_severity || {})) {
    const n = Number(id);
    if (fleet.byId.get(n)?.status === 'maintenance') continue;
    m.set(n, sev);
  }
  return m;
}
