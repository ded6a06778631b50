// Filters and sorting of the alerts page (issue 14, triage): severity, branch, region, rule
// kind, free text and the order, kept in the URL with the state tab and the page. The server
// filters, sorts and pages (GET /alerts: params turns the filters into its query); this module
// only reads and writes them. Branch and region choices come from the fleet.
import {h} from './dom.js';
import {SEVERITY} from './alertsapi.js';

export const FIELDS = ['severity', 'branch', 'region', 'kind', 'q', 'sort'];

// SORTS are the orders offered, each the API's sort and order (GET /alerts): severity then age
// (the most severe and oldest first) is the default.
export const SORTS = [
  ['severity', 'Severity, then age', {sort: 'severity', order: 'desc'}],
  ['severity-asc', 'Least severe first', {sort: 'severity', order: 'asc'}],
  ['newest', 'Newest first', {sort: 'age', order: 'asc'}],
  ['oldest', 'Oldest first', {sort: 'age', order: 'desc'}],
  ['device', 'Device A–Z', {sort: 'device', order: 'asc'}],
  ['device-desc', 'Device Z–A', {sort: 'device', order: 'desc'}],
];

// KINDS are the rule kinds (pkg/alert Kind) the kind filter offers.
export const KINDS = ['device_down', 'ping_loss_pct', 'ping_rtt_ms', 'ping_jitter_ms', 'if_down', 'if_util_pct', 'if_error_rate',
  'cpu_pct', 'mem_pct', 'rebooted', 'snmp_unreachable', 'extra_oid', 'system'];

// fromQuery reads the filters of a URLSearchParams, and the page (1 = the first).
export function fromQuery(query) {
  const f = Object.fromEntries(FIELDS.map((k) => [k, query.get(k) || '']));
  f.page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  return f;
}

// toQuery writes state, the filters and the page as "state=…&severity=…" (empty ones and the
// first page left out).
export function toQuery(state, f) {
  const p = new URLSearchParams({state});
  for (const k of FIELDS) if (f[k]) p.set(k, f[k]);
  if (f.page > 1) p.set('page', f.page);
  return p.toString();
}

// filtered says whether any filter narrows the list (the sort does not).
export function filtered(f) {
  return FIELDS.some((k) => k !== 'sort' && f[k]);
}

// params is the GET /alerts query of the filters (without state and paging).
export function params(f) {
  const s = (SORTS.find(([v]) => v === (f.sort || 'severity')) || SORTS[0])[2];
  return {severity: f.severity, branch: f.branch, region: f.region, kind: f.kind, q: f.q.trim(), ...s};
}

// bar draws the filter controls; onChange(f) runs on every change.
export function bar(f, fleet, onChange) {
  const sel = (name, label, values, text = (v) => v) => h('select', {id: `af-${name}`, 'aria-label': label, onchange: (e) => { f[name] = e.target.value; onChange(f); }},
    h('option', {value: ''}, label), values.map((v) => h('option', {value: v, selected: f[name] === v}, text(v))));
  const search = h('input', {type: 'search', id: 'af-q', placeholder: 'Search device, summary', 'aria-label': 'Search alerts', value: f.q,
    oninput: (e) => { f.q = e.target.value; onChange(f); }});
  const sort = h('select', {id: 'af-sort', 'aria-label': 'Sort', onchange: (e) => { f.sort = e.target.value; onChange(f); }},
    SORTS.map(([v, label]) => h('option', {value: v, selected: (f.sort || 'severity') === v}, label)));
  const values = (field) => {
    const v = fleet.values(field);
    return f[field] && !v.includes(f[field]) ? [...v, f[field]] : v; // a bookmarked value stays selectable
  };
  return h('div', {class: 'toolbar', id: 'alert-filters'}, search,
    sel('severity', 'All severities', Object.keys(SEVERITY)), sel('region', 'All regions', values('region')),
    sel('branch', 'All branches', values('branch')), sel('kind', 'All rule kinds', KINDS), sort);
}
