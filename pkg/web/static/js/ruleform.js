// Alert rules (GET /rules for viewers; POST, PATCH, DELETE /rules/{id} for admins). The fields
// are alert.RuleInput's; what a kind ignores is hidden (device_down has no threshold, only
// system rules have a metric and they have no device scope). The kind of a stored rule is
// fixed: its alerts belong to it.
import {h} from './dom.js';
import {number, onOff} from './editor.js';
import {scopeFields, scopeVals, scopeBody, scopeText} from './scope.js';

export const KINDS = [
  ['device_down', 'Device down (no ping answer)'], ['ping_loss_pct', 'Ping loss (%)'], ['ping_rtt_ms', 'Ping RTT (ms)'],
  ['ping_jitter_ms', 'Ping jitter (ms)'], ['if_down', 'Interface down'], ['if_util_pct', 'Interface utilisation (%)'],
  ['if_error_rate', 'Interface errors (per s)'], ['cpu_pct', 'CPU (%)'], ['mem_pct', 'Memory (%)'],
  ['rebooted', 'Rebooted (uptime in s)'], ['snmp_unreachable', 'SNMP unreachable'],
  ['extra_oid', 'Extra/vendor OID value'], ['system', 'System (workers, queues)'],
];
const SYSTEM_METRICS = ['workers', 'busy_workers', 'queue_pending', 'queue_retry', 'queue_archived', 'spool_samples', 'spool_dropped'];
export const SEVERITIES = [['critical', 'Critical'], ['major', 'Major'], ['minor', 'Minor'], ['warning', 'Warning']];
const PLAIN = new Set(['device_down', 'if_down', 'snmp_unreachable']); // conditions without a threshold

const PER_IF = new Set(['if_down', 'if_util_pct', 'if_error_rate']); // rules judged per interface
const IF_FIELDS = ['names', 'aliases', 'roles'];

const thresholded = (v) => !PLAIN.has(v.kind);
const perIf = (v) => PER_IF.has(v.kind);
const split = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);
const system = (v) => v.kind === 'system';
const extra = (v) => v.kind === 'extra_oid';
const kindLabel = (k) => (KINDS.find(([v]) => v === k) || [k, k])[1];
const OPS = {'>=': '≥', '<=': '≤'};

export function ruleSpec(app, canWrite) {
  const fleet = app.fleet;
  return {
    key: 'rule', noun: 'rule', title: 'Alert rules', path: '/rules', listKey: 'rules', canWrite,
    readHint: 'Read only: only admins change alert rules.',
    deleteText: 'Its open alerts resolve at the next evaluation pass.',
    label: (r) => r.name,
    columns: [
      ['Name', (r) => r.name],
      ['Watches', (r) => (r.kind === 'system' ? `system: ${r.metric}` : r.kind === 'extra_oid' ? `OID ${r.metric}` : kindLabel(r.kind))],
      ['Condition', (r) => condition(r)],
      ['Fire / recover after', (r) => `${r.for_cycles} / ${r.recover_cycles}`],
      ['Severity', (r) => h('span', {class: `sev sev-${r.severity}`}, r.severity)],
      ['Scope', (r) => (r.kind === 'system' ? '—' : scopeText(r.scope, fleet) + ifText(r.scope))],
      ['State', (r) => onOff(r.enabled)],
    ],
    fields: [
      {name: 'name', label: 'Name'},
      {name: 'kind', label: 'Watches', type: 'select', options: KINDS, lock: true},
      {name: 'description', label: 'Description', wide: true},
      {name: 'metric', label: 'System metric', type: 'select', options: SYSTEM_METRICS.map((m) => [m, m]), show: system},
      {name: 'oid_name', label: 'Extra OID name', hint: "as named in the profile's extra OIDs", show: extra},
      {name: 'op', label: 'Fires when the value is', type: 'select', options: [['>=', '≥ threshold'], ['<=', '≤ threshold']], show: thresholded},
      {name: 'threshold', label: 'Threshold', type: 'number', show: thresholded},
      {name: 'recovery_threshold', label: 'Recovers past', type: 'number', hint: 'empty: the threshold', show: thresholded},
      {name: 'for_cycles', label: 'Fire after (cycles)', type: 'number'},
      {name: 'recover_cycles', label: 'Recover after (cycles)', type: 'number'},
      {name: 'severity', label: 'Severity', type: 'select', options: SEVERITIES},
      {name: 'repeat_minutes', label: 'Repeat notification (min)', type: 'number', hint: '0: never'},
      {name: 'flap_changes', label: 'Flapping: changes', type: 'number', hint: '0: off'},
      {name: 'flap_window_s', label: 'Flapping: within (s)', type: 'number'},
      {name: 'enabled', label: 'Enabled', type: 'checkbox'},
      ...scopeFields('scope', (v) => !system(v), 'Devices watched'),
      // scope.interfaces (docs/alerts.md): globs over ifName / ifAlias, roles set or derived
      {name: 'scope.interfaces:heading', label: 'Interfaces watched', hint: 'all empty: every interface', type: 'heading', show: perIf},
      {name: 'scope.interfaces.names', label: 'Interface names', hint: 'globs, comma-separated: Gi0/*, Te1/0/?', show: perIf},
      {name: 'scope.interfaces.aliases', label: 'Interface aliases', hint: 'globs: *uplink*, *WAN*', show: perIf},
      {name: 'scope.interfaces.roles', label: 'Interface roles', hint: 'e.g. uplink, wan', show: perIf},
    ],
    blank: () => ({kind: 'ping_rtt_ms', op: '>=', metric: 'queue_pending', for_cycles: '1', recover_cycles: '1', severity: 'warning',
      repeat_minutes: '0', flap_changes: '4', flap_window_s: '900', enabled: true}),
    fromItem: (r) => ({name: r.name, description: r.description, kind: r.kind, metric: r.kind === 'system' ? r.metric : 'queue_pending',
      oid_name: r.kind === 'extra_oid' ? r.metric : '', op: r.op,
      threshold: String(r.threshold), recovery_threshold: String(r.recovery_threshold), for_cycles: String(r.for_cycles),
      recover_cycles: String(r.recover_cycles), severity: r.severity, repeat_minutes: String(r.repeat_minutes),
      flap_changes: String(r.flap_changes), flap_window_s: String(r.flap_window_s), enabled: r.enabled, ...scopeVals('scope', r.scope, fleet),
      ...ifVals(r.scope)}),
    toBody: (v, item) => ruleBody(v, item, fleet),
    // metric is the system metric of a system rule and the OID name of an extra-OID rule
    errorField: (field, v) => (field === 'metric' && extra(v) ? 'oid_name' : field),
  };
}

function ruleBody(v, item, fleet) {
  const b = {name: v.name, description: v.description, severity: v.severity, enabled: v.enabled};
  if (!item) b.kind = v.kind;
  const ints = ['for_cycles', 'recover_cycles', 'repeat_minutes', 'flap_changes', 'flap_window_s'];
  for (const k of ints) {
    const n = number(v, k, {integer: true});
    if (n !== undefined) b[k] = n;
  }
  b.metric = system(v) ? v.metric : extra(v) ? String(v.oid_name || '').trim() : '';
  b.scope = system(v) ? {} : scopeBody('scope', v, fleet);
  if (perIf(v)) {
    const ifs = {};
    for (const k of IF_FIELDS) {
      const l = split(v[`scope.interfaces.${k}`]);
      if (l.length) ifs[k] = l;
    }
    if (Object.keys(ifs).length) b.scope.interfaces = ifs;
  }
  if (thresholded(v)) {
    b.op = v.op;
    const t = number(v, 'threshold');
    const rt = number(v, 'recovery_threshold');
    if (t !== undefined) b.threshold = t;
    // left empty, the recovery threshold follows the threshold (the API's default on create)
    if (rt !== undefined) b.recovery_threshold = rt;
    else if (t !== undefined) b.recovery_threshold = t;
  }
  return b;
}

function ifText(sc) {
  const ifs = (sc && sc.interfaces) || {};
  const parts = IF_FIELDS.filter((k) => ifs[k] && ifs[k].length).map((k) => `${k} ${ifs[k].join(', ')}`);
  return parts.length ? `; interfaces: ${parts.join('; ')}` : '';
}

function ifVals(sc) {
  const ifs = (sc && sc.interfaces) || {};
  return Object.fromEntries(IF_FIELDS.map((k) => [`scope.interfaces.${k}`, (ifs[k] || []).join(', ')]));
}

function condition(r) {
  if (PLAIN.has(r.kind)) return 'while the condition holds';
  const rec = r.recovery_threshold !== r.threshold ? ` (recovers ${r.op === '>=' ? '<' : '>'} ${r.recovery_threshold})` : '';
  return `${OPS[r.op] || r.op} ${r.threshold}${rec}`;
}
