// Filters and sorting of the alerts page (issue 14, triage): severity, branch, region, rule
// kind and free text, kept in the URL with the state tab, applied to the loaded alerts; branch
// and region come from the alert's device in the fleet.
import {h} from './dom.js';
import {SEVERITY} from './alertsapi.js';

export const FIELDS = ['severity', 'branch', 'region', 'kind', 'q', 'sort'];

// SORTS: severity then age (the oldest first), newest first, oldest first, device name.
export const SORTS = [['severity', 'Severity, then age'], ['newest', 'Newest first'], ['oldest', 'Oldest first'], ['device', 'Device']];

// fromQuery reads the filters of a URLSearchParams.
export function fromQuery(query) {
  return Object.fromEntries(FIELDS.map((f) => [f, query.get(f) || '']));
}

// toQuery writes state and the filters as "state=…&severity=…" (empty ones left out).
export function toQuery(state, f) {
  const p = new URLSearchParams({state});
  for (const k of FIELDS) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

// apply filters and sorts a list of alerts.
export function apply(list, f, fleet) {
  const q = f.q.toLowerCase();
  const dev = (a) => (a.device_id && fleet.byId.get(a.device_id)) || null;
  const out = list.filter((a) => {
    if (f.severity && a.severity !== f.severity) return false;
    if (f.kind && a.kind !== f.kind) return false;
    const d = dev(a);
    if (f.branch && (!d || d.branch !== f.branch)) return false;
    if (f.region && (!d || d.region !== f.region)) return false;
    if (q && ![a.summary, a.rule, a.device, a.subject, a.acked_by, a.ack_comment].some((s) => s && s.toLowerCase().includes(q))) return false;
    return true;
  });
  const age = (a) => Date.parse(a.started_at) || 0;
  const cmp = {
    severity: (a, b) => (SEVERITY[b.severity] || 0) - (SEVERITY[a.severity] || 0) || age(a) - age(b),
    newest: (a, b) => age(b) - age(a),
    oldest: (a, b) => age(a) - age(b),
    device: (a, b) => String(a.device || '').localeCompare(String(b.device || ''), undefined, {numeric: true}) || age(a) - age(b),
  }[f.sort || 'severity'] || ((a, b) => 0);
  return out.sort((a, b) => cmp(a, b) || b.id - a.id);
}

// bar draws the filter controls; onChange(f) runs on every change.
export function bar(f, fleet, kinds, onChange) {
  const sel = (name, label, values, text = (v) => v) => h('select', {id: `af-${name}`, 'aria-label': label, onchange: (e) => { f[name] = e.target.value; onChange(f); }},
    h('option', {value: ''}, label), values.map((v) => h('option', {value: v, selected: f[name] === v}, text(v))));
  const search = h('input', {type: 'search', id: 'af-q', placeholder: 'Search alerts', value: f.q,
    oninput: (e) => { f.q = e.target.value; onChange(f); }});
  const sort = h('select', {id: 'af-sort', 'aria-label': 'Sort', onchange: (e) => { f.sort = e.target.value; onChange(f); }},
    SORTS.map(([v, label]) => h('option', {value: v, selected: (f.sort || 'severity') === v}, label)));
  return h('div', {class: 'toolbar', id: 'alert-filters'}, search,
    sel('severity', 'All severities', Object.keys(SEVERITY)), sel('region', 'All regions', fleet.values('region')),
    sel('branch', 'All branches', fleet.values('branch')), sel('kind', 'All rule kinds', kinds), sort);
}
