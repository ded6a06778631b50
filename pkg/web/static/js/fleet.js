// The fleet: every device with its latest status, loaded from the standalone list and kept
// current by live status events. Pages subscribe to changes instead of polling.
import {devices as api} from './api.js';
import {WORST} from './dom.js';

export class Fleet {
  constructor() {
    this.devices = [];        // standalone rows, id order
    this.byId = new Map();
    this.loaded = false;
    this.listeners = new Set();
    this.version = 0;         // bumps on every change, for cheap "did anything change" checks
  }

  // load fetches every device (or takes the answer of a request already made); listeners get
  // {type:'reload'}.
  async load(pending) {
    const data = await (pending || api.all());
    performance.mark('wardops-fleet-parsed');
    this.devices = data.devices || [];
    this.byId = new Map(this.devices.map((d) => [d.id, d]));
    this.loaded = true;
    this.version++;
    this.emit({type: 'reload'});
  }

  // applyStatus applies a live {device_id, from, to, at}; an unknown device means the list is
  // stale (a new device), which a reload fixes. It returns the changed device or null.
  applyStatus(ev) {
    const d = this.byId.get(ev.device_id);
    if (!d) return null;
    if (d.last_change && ev.at && Date.parse(ev.at) < Date.parse(d.last_change)) return null; // older than what we have
    const from = d.status;
    d.status = ev.to;
    d.last_change = ev.at || new Date().toISOString();
    this.version++;
    this.emit({type: 'status', device: d, from});
    return d;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(ev) {
    for (const fn of this.listeners) fn(ev);
  }

  // counts by status.
  counts() {
    const c = {up: 0, down: 0, degraded: 0, maintenance: 0, unknown: 0};
    for (const d of this.devices) c[d.status in c ? d.status : 'unknown']++;
    return c;
  }

  // regions groups devices: [{name, branches:[{key, region, name, devices:[…]}]}], sorted by name.
  regions() {
    const regions = new Map();
    for (const d of this.devices) {
      const rn = d.region || '(no region)';
      const bn = d.branch || '(no branch)';
      let r = regions.get(rn);
      if (!r) regions.set(rn, r = new Map());
      let b = r.get(bn);
      if (!b) r.set(bn, b = {key: branchKey(d), region: rn, name: bn, devices: []});
      b.devices.push(d);
    }
    const byName = (a, b) => a.name.localeCompare(b.name, undefined, {numeric: true});
    return [...regions].map(([name, m]) => ({name, branches: [...m.values()].sort(byName)})).sort(byName);
  }

  // distinct values of a field, sorted, for filter menus.
  values(field) {
    const set = new Set();
    for (const d of this.devices) if (d[field]) set.add(d[field]);
    return [...set].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}));
  }
}

// branchKey identifies a branch within its region.
export function branchKey(d) {
  return `${d.region || '(no region)'}\u0000${d.branch || '(no branch)'}`;
}

// summarize returns {worst, counts, n} of a list of devices.
export function summarize(list) {
  const counts = {up: 0, down: 0, degraded: 0, maintenance: 0, unknown: 0};
  let worst = 'up';
  for (const d of list) {
    const st = d.status in counts ? d.status : 'unknown';
    counts[st]++;
    if (WORST[st] > WORST[worst]) worst = st;
  }
  if (list.length === 0) worst = 'unknown';
  return {worst, counts, n: list.length};
}
