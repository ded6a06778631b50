// Monitoring profiles, regions and branches (GET for every role; POST, PATCH, DELETE for
// admins). A profile holds the ping settings (echo count, spacing, timeout, degraded-loss
// threshold), the device types it is the default of, and SNMP defaults: credentials whose
// secrets are write-only (the API only says community_set / auth_password_set /
// priv_password_set; an empty secret input keeps the stored one) and extra/vendor OIDs as
// JSON data. A branch names its region, carries its address, coordinates, upstream ISP and
// circuit, contacts, IANA time zone and default profile. Effective profile of a device: its
// own, else its branch's, else its type's, else the worker's defaults.
import {h} from './dom.js';
import {FieldError, number, list} from './editor.js';

const v2c = (v) => v['snmp.version'] === '2c';
const v3 = (v) => v['snmp.version'] === '3';
const LEVELS = [['authNoPriv', 'authNoPriv'], ['authPriv', 'authPriv']];
// the protocols the API accepts (pkg/snmp: MD5 and DES are refused)
const AUTH = [['SHA', 'SHA'], ['SHA-224', 'SHA-224'], ['SHA-256', 'SHA-256'], ['SHA-384', 'SHA-384'], ['SHA-512', 'SHA-512']];
const PRIV = [['AES', 'AES'], ['AES-192', 'AES-192'], ['AES-256', 'AES-256'], ['AES-192-C', 'AES-192 (Cisco)'], ['AES-256-C', 'AES-256 (Cisco)']];

// snmpErrorField puts an API error about the profile's SNMP settings beside its input: the API
// names credentials as "snmp.credentials.community" (the form: "snmp.community"), a problem with
// the credentials object as a whole as "snmp.credentials." (the form: the version select), and
// extra OIDs as "snmp.extra_oids[2].oid" (one JSON input, which fieldFor finds by the "[").
function snmpErrorField(field) {
  if (field === 'snmp.credentials' || field === 'snmp.credentials.') return 'snmp.version';
  return (field || '').startsWith('snmp.credentials.') ? `snmp.${field.slice('snmp.credentials.'.length)}` : field;
}

export function profileSpec(canWrite) {
  return {
    key: 'prof', noun: 'profile', title: 'Monitoring profiles', path: '/profiles', listKey: 'profiles', canWrite,
    readHint: 'Read only: only admins change monitoring profiles.',
    deleteText: 'Its devices and branches fall back to the next default (branch, device type, the configured defaults).',
    label: (p) => p.name,
    columns: [
      ['Name', (p) => p.name],
      ['Pings', (p) => `${p.ping_count} × ${p.ping_interval_ms} ms apart, ${p.ping_timeout_ms} ms timeout`],
      ['Degraded above', (p) => `${p.degraded_loss_pct} % loss`],
      ['Default for types', (p) => (p.device_types || []).join(', ') || '—'],
      ['SNMP', (p) => snmpText(p.snmp)],
    ],
    fields: [
      {name: 'name', label: 'Name'},
      {name: 'device_types', label: 'Default for device types', hint: 'comma-separated, e.g. atm, router'},
      {name: 'ping', label: 'Ping', type: 'heading'},
      {name: 'ping_count', label: 'Echo requests per cycle', type: 'number', hint: '1–20'},
      {name: 'ping_interval_ms', label: 'Spacing (ms)', type: 'number', hint: '≥ 10'},
      {name: 'ping_timeout_ms', label: 'Timeout (ms)', type: 'number', hint: '50–30000'},
      {name: 'degraded_loss_pct', label: 'Degraded above loss (%)', type: 'number', hint: '0: any loss'},
      {name: 'snmp', label: 'SNMP defaults', type: 'heading', hint: 'secrets are write-only: leave empty to keep'},
      {name: 'snmp.version', label: 'Credentials', type: 'select', options: [['', 'none (device settings only)'], ['2c', 'v2c community'], ['3', 'v3 user']]},
      {name: 'snmp.community', label: 'Community', type: 'password', show: v2c},
      {name: 'snmp.username', label: 'v3 user', show: v3},
      {name: 'snmp.security_level', label: 'Security level', type: 'select', options: LEVELS, show: v3},
      {name: 'snmp.auth_protocol', label: 'Auth protocol', type: 'select', options: AUTH, show: v3},
      {name: 'snmp.auth_password', label: 'Auth password', type: 'password', show: v3},
      {name: 'snmp.priv_protocol', label: 'Privacy protocol', type: 'select', options: PRIV, show: (v) => v3(v) && v['snmp.security_level'] === 'authPriv'},
      {name: 'snmp.priv_password', label: 'Privacy password', type: 'password', show: (v) => v3(v) && v['snmp.security_level'] === 'authPriv'},
      {name: 'snmp.port', label: 'Port', type: 'number', hint: 'empty: 161', show: (v) => v['snmp.version'] !== ''},
      {name: 'snmp.timeout_ms', label: 'SNMP timeout (ms)', type: 'number', hint: 'empty: 2000', show: (v) => v['snmp.version'] !== ''},
      {name: 'snmp.extra_oids', label: 'Extra / vendor OIDs (JSON)', wide: true,
        hint: '[{"name":"temp","oid":"1.3.6.1.4.1.9.9.13.1.3.1.3","role":"gauge","agg":"max","scale":1}]'},
    ],
    blank: () => ({ping_count: '3', ping_interval_ms: '10', ping_timeout_ms: '1000', degraded_loss_pct: '0',
      'snmp.version': '', 'snmp.security_level': 'authPriv', 'snmp.auth_protocol': 'SHA-256', 'snmp.priv_protocol': 'AES', 'snmp.extra_oids': '[]'}),
    fromItem: (p) => {
      const c = (p.snmp && p.snmp.credentials) || {};
      return {name: p.name, device_types: (p.device_types || []).join(', '), ping_count: String(p.ping_count),
        ping_interval_ms: String(p.ping_interval_ms), ping_timeout_ms: String(p.ping_timeout_ms), degraded_loss_pct: String(p.degraded_loss_pct),
        'snmp.version': c.version || '', 'snmp.community': '', 'snmp.username': c.username || '',
        'snmp.security_level': c.security_level || 'authPriv', 'snmp.auth_protocol': c.auth_protocol || 'SHA-256',
        'snmp.auth_password': '', 'snmp.priv_protocol': c.priv_protocol || 'AES', 'snmp.priv_password': '',
        'snmp.port': c.port ? String(c.port) : '', 'snmp.timeout_ms': c.timeout_ms ? String(c.timeout_ms) : '',
        'snmp.extra_oids': JSON.stringify((p.snmp && p.snmp.extra_oids) || [])};
    },
    toBody: profileBody,
    errorField: snmpErrorField,
    // secret inputs never show a stored value: say whether one is set
    onRefresh: (ed) => {
      const c = (ed.item && ed.item.snmp && ed.item.snmp.credentials) || {};
      const same = c.version && c.version === ed.values()['snmp.version'];
      for (const [name, flag] of [['snmp.community', 'community_set'], ['snmp.auth_password', 'auth_password_set'], ['snmp.priv_password', 'priv_password_set']]) {
        ed.inputs[name].placeholder = same && c[flag] ? 'set (type to replace)' : 'not set';
      }
    },
  };
}

function profileBody(v) {
  const b = {name: v.name, device_types: list(v.device_types), ping_count: number(v, 'ping_count', {integer: true}),
    ping_interval_ms: number(v, 'ping_interval_ms', {integer: true}), ping_timeout_ms: number(v, 'ping_timeout_ms', {integer: true}),
    degraded_loss_pct: number(v, 'degraded_loss_pct')};
  let extra;
  try {
    extra = JSON.parse(v['snmp.extra_oids'] || '[]');
  } catch (e) {
    throw new FieldError('snmp.extra_oids', `not JSON: ${e.message}`);
  }
  if (!Array.isArray(extra)) throw new FieldError('snmp.extra_oids', 'must be a JSON list [{"name","oid"},…]');
  let cred = null;
  if (v['snmp.version']) {
    cred = {version: v['snmp.version']};
    const port = number(v, 'snmp.port', {integer: true});
    const timeout = number(v, 'snmp.timeout_ms', {integer: true});
    if (port !== undefined) cred.port = port;
    if (timeout !== undefined) cred.timeout_ms = timeout;
    if (v2c(v) && v['snmp.community']) cred.community = v['snmp.community'];
    if (v3(v)) {
      Object.assign(cred, {username: v['snmp.username'], security_level: v['snmp.security_level'], auth_protocol: v['snmp.auth_protocol']});
      if (v['snmp.auth_password']) cred.auth_password = v['snmp.auth_password'];
      if (v['snmp.security_level'] === 'authPriv') {
        cred.priv_protocol = v['snmp.priv_protocol'];
        if (v['snmp.priv_password']) cred.priv_password = v['snmp.priv_password'];
      }
    }
  }
  b.snmp = cred || extra.length ? {credentials: cred, extra_oids: extra} : null;
  return b;
}

function snmpText(s) {
  if (!s) return '—';
  const c = s.credentials;
  const cred = !c ? 'no credentials' : c.version === '2c' ? `v2c${c.community_set ? ' (community set)' : ''}` : `v3 ${c.username}`;
  const n = (s.extra_oids || []).length;
  return n ? `${cred}, ${n} extra OID${n === 1 ? '' : 's'}` : cred;
}

export function regionSpec(canWrite) {
  return {
    key: 'reg', noun: 'region', title: 'Regions', path: '/regions', listKey: 'regions', canWrite,
    readHint: 'Read only: only admins change regions.',
    deleteText: 'Only a region without branches can be deleted.',
    label: (r) => r.name,
    columns: [['Name', (r) => r.name], ['Branches', (r) => String(r.branches)], ['Devices', (r) => String(r.devices)], ['Description', (r) => r.description]],
    fields: [{name: 'name', label: 'Name', hint: 'unique whatever its case'}, {name: 'description', label: 'Description', wide: true}],
    blank: () => ({}),
    fromItem: (r) => ({name: r.name, description: r.description}),
    toBody: (v) => ({name: v.name, description: v.description || ''}),
  };
}

export function branchSpec(canWrite, profiles) {
  const profName = (id) => (profiles.find((p) => p.id === id) || {}).name || (id ? `#${id}` : '—');
  return {
    key: 'br', noun: 'branch', title: 'Branches', path: '/branches', listKey: 'branches', canWrite,
    readHint: 'Read only: only admins change branches.',
    deleteText: 'Only a branch without devices can be deleted.',
    label: (b) => b.name,
    columns: [
      ['Name', (b) => b.name], ['Region', (b) => b.region || '—'], ['Devices', (b) => String(b.devices)],
      ['Upstream', (b) => [b.isp, b.circuit_id].filter(Boolean).join(' · ') || '—'],
      ['Time zone', (b) => b.time_zone], ['Default profile', (b) => profName(b.profile_id)],
    ],
    fields: [
      {name: 'name', label: 'Name'},
      {name: 'region', label: 'Region', hint: 'an existing region\'s name; empty: none'},
      {name: 'address', label: 'Address', wide: true},
      {name: 'latitude', label: 'Latitude', type: 'number'},
      {name: 'longitude', label: 'Longitude', type: 'number'},
      {name: 'isp', label: 'Upstream ISP'},
      {name: 'circuit_id', label: 'Circuit id'},
      {name: 'contacts', label: 'Contacts', wide: true},
      {name: 'time_zone', label: 'Time zone', hint: 'IANA name, e.g. Europe/Zurich', attrs: {list: 'tz-list'}},
      {name: 'profile_id', label: 'Default profile', type: 'select', options: [['', '— none —'], ...profiles.map((p) => [String(p.id), p.name])]},
    ],
    blank: () => ({time_zone: 'UTC', profile_id: ''}),
    fromItem: (b) => ({name: b.name, region: b.region, address: b.address, isp: b.isp, circuit_id: b.circuit_id, contacts: b.contacts,
      time_zone: b.time_zone, latitude: b.latitude == null ? '' : String(b.latitude), longitude: b.longitude == null ? '' : String(b.longitude),
      profile_id: b.profile_id ? String(b.profile_id) : ''}),
    toBody: (v) => ({name: v.name, region: v.region || '', address: v.address || '', isp: v.isp || '', circuit_id: v.circuit_id || '',
      contacts: v.contacts || '', time_zone: v.time_zone, latitude: number(v, 'latitude') ?? null, longitude: number(v, 'longitude') ?? null,
      profile_id: v.profile_id ? Number(v.profile_id) : null}),
  };
}

// placesNote says how devices find their branch.
export function placesNote() {
  return h('p', {class: 'muted', id: 'places-note'}, 'A device names an existing branch (and so its region); an unknown name is refused. The CSV import creates missing branches and regions and reports each.');
}
