// The fleet: every device with its latest status, loaded from the standalone list and kept
// current by live status events. Pages subscribe to changes instead of polling.
import {devices as api} from './api.js';
import {WORST} from './dom.js';

// STALE_AGAIN_S: a list this old (HTTP Age, seconds) is asked for again shortly.
const STALE_AGAIN_S = 2;

export class Fleet {
  constructor() {
    this.devices = [];        // standalone rows, id order
    this.byId = new Map();
    this.loaded = false;
    this.listeners = new Set();
    this.version = 0;         // bumps on every change, for cheap "did anything change" checks
    this.staleRowsKept = 0;   // list rows older than the state held (kept the newer), for tests
    this.staleEventsIgnored = 0;
    this.blockedMemo = new Map();
    this.blockedAt = -1;
    this.again = 0;           // consecutive follow-up loads of a stale list
    this.againTimer = 0;
  }

  // load fetches every device (or takes the answer of a request already made); listeners get
  // {type:'reload'}. A row older than the state this page already holds for its device (a
  // lower status version: the list is served from a cache up to 30 s old, and a live event may
  // have brought a newer state meanwhile) keeps the newer status; its other fields are taken.
  async load(pending) {
    const data = await (pending || api.all());
    performance.mark('wardops-fleet-parsed');
    const rows = data.devices || [];
    let kept = 0;
    for (const r of rows) {
      const old = this.byId.get(r.id);
      if (old && newer(old, r)) {
        r.status = old.status;
        r.last_change = old.last_change;
        r.version = old.version;
        r.blocked_by = old.blocked_by;
        kept++;
      }
    }
    this.staleRowsKept += kept;
    this.devices = rows;
    this.byId = new Map(rows.map((d) => [d.id, d]));
    this.loaded = true;
    this.version++;
    this.emit({type: 'reload'});
    // a list answered from an old cache (the API builds a fresh one meanwhile): ask again soon,
    // at most twice in a row, for what changed without a live event (devices added, metrics)
    clearTimeout(this.againTimer);
    if (data.age_s >= STALE_AGAIN_S && this.again < 2) {
      this.again++;
      this.againTimer = setTimeout(() => this.load().catch(() => {}), 1500);
    } else if (!(data.age_s >= STALE_AGAIN_S)) this.again = 0;
  }

  // applyStatus applies a live {device_id, from, to, at, version, blocked_by}; an unknown
  // device means the list is stale (a new device), which a reload fixes. An event older than
  // the state held (by version; by time for an event without one) is ignored. It returns the
  // device (changed or not) or null when it is unknown.
  applyStatus(ev) {
    const d = this.byId.get(ev.device_id);
    if (!d) return null;
    if (newer(d, {version: ev.version, last_change: ev.at})) { this.staleEventsIgnored++; return d; }
    const from = d.status;
    d.status = ev.to;
    d.last_change = ev.at || new Date().toISOString();
    if (ev.version !== undefined) d.version = ev.version;
    if (ev.blocked_by !== undefined) d.blocked_by = ev.blocked_by;
    this.version++;
    this.emit({type: 'status', device: d, from});
    return d;
  }

  // blockedBy is the device's topmost down ancestor (a device row), or null: computed here from
  // the parents' live statuses, so that it follows every event; where a parent is not in this
  // fleet (out of the user's scope) the API's blocked_by is taken as it came.
  blockedBy(d) {
    if (this.blockedAt !== this.version) { this.blockedMemo = new Map(); this.blockedAt = this.version; }
    if (this.blockedMemo.has(d.id)) return this.blockedMemo.get(d.id);
    let top = null;
    let cur = d;
    for (let depth = 0; cur && cur.parent_id != null && depth < 64; depth++) {
      const p = this.byId.get(cur.parent_id);
      if (!p) { // the rest of the chain is not ours to see
        const b = cur.blocked_by != null ? this.byId.get(cur.blocked_by) || {id: cur.blocked_by, name: `device ${cur.blocked_by}`} : null;
        if (b) top = b;
        break;
      }
      if (p.status === 'down') top = p;
      cur = p;
    }
    this.blockedMemo.set(d.id, top);
    return top;
  }

  // state is what the dashboard shows for a device: its status, except that a device that does
  // not answer (down or unknown) behind a down ancestor is 'unreachable', not down.
  state(d) {
    if ((d.status === 'down' || d.status === 'unknown') && d.parent_id != null && this.blockedBy(d)) return 'unreachable';
    return d.status in WORST ? d.status : 'unknown';
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(ev) {
    for (const fn of this.listeners) fn(ev);
  }

  // counts by shown state (unreachable apart from down).
  counts() {
    const c = zeroCounts();
    for (const d of this.devices) c[this.state(d)]++;
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

// summarize returns {worst, counts, n} of a list of devices by their shown state (fleet.state).
export function summarize(list, fleet) {
  const counts = zeroCounts();
  let worst = 'up';
  for (const d of list) {
    const st = fleet ? fleet.state(d) : (d.status in counts ? d.status : 'unknown');
    counts[st]++;
    if (WORST[st] > WORST[worst]) worst = st;
  }
  if (list.length === 0) worst = 'unknown';
  return {worst, counts, n: list.length};
}

function zeroCounts() {
  return {up: 0, down: 0, unreachable: 0, degraded: 0, maintenance: 0, unknown: 0};
}

// newer tells whether state a {version, last_change} is newer than b: by status version where
// both have one, else by the time of the last change.
function newer(a, b) {
  if (a.version != null && b.version != null) return a.version > b.version;
  return !!(a.last_change && b.last_change && Date.parse(b.last_change) < Date.parse(a.last_change));
}
