// A device scope as rules, channels and maintenance windows share it (alert.Scope):
// {regions, branches, types, labels, devices}. Empty lists mean "any". Devices are typed by
// name (or id) and sent as ids, looked up in the fleet the dashboard already holds.
import {FieldError, list, pairs, pairsText} from './editor.js';

// scopeFields are the form fields of the scope under prefix ("scope", "targets"), under a
// heading with title and hint.
export function scopeFields(prefix, show, title = 'Devices', hint = 'all empty: every device') {
  return [
    {name: `${prefix}:heading`, label: title, hint, type: 'heading', show},
    {name: `${prefix}.regions`, label: 'Regions', hint: 'comma-separated', show},
    {name: `${prefix}.branches`, label: 'Branches', hint: 'comma-separated', show},
    {name: `${prefix}.types`, label: 'Device types', hint: 'e.g. router, switch, atm', show},
    {name: `${prefix}.devices`, label: 'Devices', hint: 'names or ids, comma-separated', show},
    {name: `${prefix}.labels`, label: 'Labels', hint: 'k=v; k2=v2 (all must match)', show},
  ];
}

// scopeVals turns a stored scope into form values.
export function scopeVals(prefix, sc, fleet) {
  sc = sc || {};
  const name = (id) => (fleet.byId && fleet.byId.get(id) ? fleet.byId.get(id).name : String(id));
  return {
    [`${prefix}.regions`]: (sc.regions || []).join(', '),
    [`${prefix}.branches`]: (sc.branches || []).join(', '),
    [`${prefix}.types`]: (sc.types || []).join(', '),
    [`${prefix}.devices`]: (sc.devices || []).map(name).join(', '),
    [`${prefix}.labels`]: pairsText(sc.labels),
  };
}

// scopeBody reads the scope from form values; an unknown device name is a FieldError.
export function scopeBody(prefix, vals, fleet) {
  const sc = {};
  for (const k of ['regions', 'branches', 'types']) {
    const l = list(vals[`${prefix}.${k}`]);
    if (l.length) sc[k] = l;
  }
  const labels = pairs(vals[`${prefix}.labels`]);
  if (Object.keys(labels).length) sc.labels = labels;
  const devs = list(vals[`${prefix}.devices`]).map((d) => {
    if (/^\d+$/.test(d)) return Number(d);
    const found = (fleet.devices || []).find((x) => x.name === d);
    if (!found) throw new FieldError(`${prefix}.devices`, `no device named "${d}"`);
    return found.id;
  });
  if (devs.length) sc.devices = devs;
  return sc;
}

// scopeText is a one-line summary: "all devices", "branches BR-1, BR-2; type atm".
export function scopeText(sc, fleet) {
  if (!sc) return 'all devices';
  const parts = [];
  const add = (word, l) => { if (l && l.length) parts.push(`${word} ${l.join(', ')}`); };
  add('regions', sc.regions);
  add('branches', sc.branches);
  add('types', sc.types);
  add('devices', (sc.devices || []).map((id) => (fleet.byId && fleet.byId.get(id) ? fleet.byId.get(id).name : `#${id}`)));
  if (sc.labels && Object.keys(sc.labels).length) parts.push(`labels ${pairsText(sc.labels)}`);
  return parts.length ? parts.join('; ') : 'all devices';
}
