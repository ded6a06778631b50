// Maintenance windows (GET /maintenance for viewers; POST, PUT, DELETE /maintenance/{id} for
// operators and admins). A window is one-off (starts_at → ends_at) or weekly (weekdays at a
// local start time for a duration), in an IANA time zone, over a target scope (devices,
// branches, regions, types, labels; at least one). One-off times are typed as wall-clock time
// in the window's zone and sent as UTC instants; PUT replaces the whole window.
import {h} from './dom.js';
import {FieldError, number, onOff} from './editor.js';
import {scopeFields, scopeVals, scopeBody, scopeText} from './scope.js';

const DAYS = [['1', 'Mon'], ['2', 'Tue'], ['3', 'Wed'], ['4', 'Thu'], ['5', 'Fri'], ['6', 'Sat'], ['0', 'Sun']];
const once = (v) => v.kind === 'once';
const weekly = (v) => v.kind === 'weekly';

// browserZone is the browser's IANA zone, the default of a new window.
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function windowSpec(app, canWrite) {
  const fleet = app.fleet;
  return {
    key: 'win', noun: 'window', title: 'Maintenance windows', path: '/maintenance', listKey: 'windows', canWrite, update: 'PUT',
    readHint: 'Read only: operators and admins manage maintenance windows.',
    deleteText: 'Alerts of its devices are no longer suppressed by it.',
    label: (w) => w.name,
    columns: [
      ['Name', (w) => w.name],
      ['When', (w) => when(w)],
      ['Targets', (w) => scopeText(w.targets, fleet)],
      ['By', (w) => w.created_by || ''],
      ['State', (w) => onOff(w.enabled)],
    ],
    fields: [
      {name: 'name', label: 'Name'},
      {name: 'kind', label: 'Repeats', type: 'select', options: [['once', 'once (one-off)'], ['weekly', 'every week']]},
      {name: 'description', label: 'Description', wide: true},
      {name: 'time_zone', label: 'Time zone', hint: 'IANA name, e.g. Europe/Berlin', attrs: {list: 'tz-list'}},
      {name: 'starts_at', label: 'Starts (local time in the zone)', type: 'datetime-local', show: once},
      {name: 'ends_at', label: 'Ends (local time in the zone)', type: 'datetime-local', show: once},
      {name: 'weekdays', label: 'On', type: 'checks', options: DAYS, show: weekly},
      {name: 'start_time', label: 'At (local time)', type: 'time', show: weekly},
      {name: 'duration_minutes', label: 'For (minutes)', type: 'number', show: weekly},
      {name: 'enabled', label: 'Enabled', type: 'checkbox'},
      ...scopeFields('targets', undefined, 'Applies to', 'at least one of these'),
    ],
    blank: () => ({kind: 'once', time_zone: browserZone(), enabled: true, duration_minutes: '60', start_time: '02:00'}),
    fromItem: (w) => ({name: w.name, description: w.description, kind: w.kind, time_zone: w.time_zone, enabled: w.enabled,
      starts_at: w.starts_at ? utcToLocal(w.starts_at, w.time_zone) : '', ends_at: w.ends_at ? utcToLocal(w.ends_at, w.time_zone) : '',
      weekdays: (w.weekdays || []).map(String), start_time: w.start_time || '02:00',
      duration_minutes: w.duration_minutes ? String(w.duration_minutes) : '60', ...scopeVals('targets', w.targets, fleet)}),
    toBody: (v) => windowBody(v, fleet),
  };
}

function windowBody(v, fleet) {
  const b = {name: v.name, description: v.description, kind: v.kind, time_zone: v.time_zone, enabled: v.enabled,
    targets: scopeBody('targets', v, fleet)};
  if (once(v)) {
    if (!zoneOK(v.time_zone)) throw new FieldError('time_zone', `unknown IANA time zone "${v.time_zone}"`);
    if (v.starts_at) b.starts_at = localToUTC(v.starts_at, v.time_zone);
    if (v.ends_at) b.ends_at = localToUTC(v.ends_at, v.time_zone);
  } else {
    b.weekdays = v.weekdays.map(Number);
    b.start_time = v.start_time;
    const d = number(v, 'duration_minutes', {integer: true});
    if (d !== undefined) b.duration_minutes = d;
  }
  return b;
}

function when(w) {
  if (w.kind === 'once') {
    return `${utcToLocal(w.starts_at, w.time_zone).replace('T', ' ')} → ${utcToLocal(w.ends_at, w.time_zone).replace('T', ' ')} ${w.time_zone}`;
  }
  const days = DAYS.filter(([d]) => (w.weekdays || []).includes(Number(d))).map(([, l]) => l).join(', ');
  return `${days} ${w.start_time} for ${w.duration_minutes} min, ${w.time_zone}`;
}

function zoneOK(tz) {
  try { new Intl.DateTimeFormat('en-US', {timeZone: tz}); return !!tz; } catch { return false; }
}

// zoneParts is the wall-clock time in tz at instant ms.
function zoneParts(ms, tz) {
  const f = new Intl.DateTimeFormat('en-US', {timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit'});
  return Object.fromEntries(f.formatToParts(new Date(ms)).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
}

// offset is how far tz's wall clock is ahead of UTC at instant ms.
function offset(ms, tz) {
  const p = zoneParts(ms, tz);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

// localToUTC turns "YYYY-MM-DDTHH:MM" on tz's wall clock into an RFC 3339 UTC instant. The
// offset is taken twice: the first guess may sit on the other side of a DST change.
export function localToUTC(local, tz) {
  const [d, t] = local.split('T');
  const [y, mo, day] = d.split('-').map(Number);
  const [hh, mm] = (t || '00:00').split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, day, hh, mm);
  let ms = wall - offset(wall, tz);
  ms = wall - offset(ms, tz);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// utcToLocal shows an RFC 3339 instant as "YYYY-MM-DDTHH:MM" on tz's wall clock.
export function utcToLocal(iso, tz) {
  if (!iso) return '';
  let p;
  try { p = zoneParts(Date.parse(iso), tz); } catch { p = zoneParts(Date.parse(iso), 'UTC'); }
  const two = (n) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}`;
}

// zoneList is a <datalist> of the browser's IANA zones for the time-zone field.
export function zoneList() {
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : [];
  return h('datalist', {id: 'tz-list'}, ['UTC', ...zones].map((z) => h('option', {value: z})));
}
