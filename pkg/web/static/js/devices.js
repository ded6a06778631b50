// Devices: search, filters, sort and a virtualised table. Only the rows in view (plus a
// margin) exist in the DOM, positioned over a spacer as tall as the whole list, so 10,000 or
// 100,000 devices scroll as smoothly as 50. Live status changes update the visible rows.
import {can} from './api.js';
import {h, clear, statusBadge, STATUSES, STATUS_TEXT, WORST, ago, fmtTime, num, debounce} from './dom.js';

const ROW = 34; // px, must match .vrow height in app.css
const OVERSCAN = 8;
const COLS = [
  {key: 'status', label: 'Status', cls: 'c-status'},
  {key: 'name', label: 'Name', cls: 'c-name'},
  {key: 'ip', label: 'IP', cls: 'c-ip'},
  {key: 'branch', label: 'Branch', cls: 'c-branch'},
  {key: 'region', label: 'Region', cls: 'c-region'},
  {key: 'type', label: 'Type', cls: 'c-type'},
  {key: 'rtt_ms', label: 'RTT', cls: 'c-num'},
  {key: 'loss_pct', label: 'Loss', cls: 'c-num'},
  {key: 'last_change', label: 'Last change', cls: 'c-time'},
];

export async function mount(view, {app, query}) {
  const page = new DevicesPage(view, app, query);
  if (!app.fleet.loaded) await app.fleetReady.catch(() => {});
  page.refresh();
  return page;
}

class DevicesPage {
  constructor(view, app, query) {
    this.app = app;
    this.f = {q: query.get('q') || '', region: query.get('region') || '', branch: query.get('branch') || '',
      type: query.get('type') || '', status: query.get('status') || ''};
    this.sort = {key: query.get('sort') || 'status', dir: query.get('dir') === 'asc' ? 1 : -1};
    this.rows = [];
    this.pool = [];
    this.build(view);
    this.unsub = app.fleet.subscribe((ev) => this.onFleet(ev));
    this.refilter = debounce(() => this.refresh(), 300);
  }

  build(view) {
    this.search = h('input', {type: 'search', placeholder: 'Search name or IP', value: this.f.q, 'aria-label': 'Search', id: 'dev-search',
      oninput: debounce(() => { this.f.q = this.search.value.trim(); this.refresh(true); }, 120)});
    this.selects = {};
    const bar = h('div', {class: 'toolbar'}, this.search);
    for (const [key, label] of [['region', 'Region'], ['branch', 'Branch'], ['type', 'Type'], ['status', 'Status']]) {
      const sel = h('select', {'aria-label': label, id: `dev-${key}`, onchange: () => { this.f[key] = sel.value; this.refresh(true); }});
      this.selects[key] = sel;
      bar.append(sel);
    }
    this.countEl = h('span', {class: 'muted count-note', id: 'dev-count'});
    bar.append(this.countEl, can('admin') ? h('a', {class: 'btn small', href: '#/admin'}, 'Add devices') : '');
    this.head = h('div', {class: 'vhead', role: 'row'}, COLS.map((c) => h('button', {type: 'button', class: `vcell ${c.cls}`, role: 'columnheader',
      dataset: {key: c.key}, onclick: () => this.sortBy(c.key)}, c.label)));
    this.spacer = h('div', {class: 'vspacer'});
    this.scroller = h('div', {class: 'vscroll', id: 'dev-table', role: 'table', 'aria-label': 'Devices', tabindex: 0}, this.spacer);
    this.scroller.addEventListener('scroll', () => this.schedule(), {passive: true});
    this.onResize = () => this.schedule();
    window.addEventListener('resize', this.onResize);
    view.append(h('div', {class: 'devices-page'}, bar, h('div', {class: 'vtable'}, this.head, this.scroller)));
  }

  unmount() {
    this.unsub();
    window.removeEventListener('resize', this.onResize);
  }

  fillSelects() {
    const fleet = this.app.fleet;
    const opts = {region: fleet.values('region'), branch: this.branchOptions(), type: fleet.values('type'), status: STATUSES};
    for (const [key, sel] of Object.entries(this.selects)) {
      const all = key === 'status' ? 'All statuses' : `All ${key === 'branch' ? 'branches' : key + 's'}`;
      sel.replaceChildren(h('option', {value: ''}, all), ...opts[key].map((v) => h('option', {value: v}, key === 'status' ? STATUS_TEXT[v] : v)));
      sel.value = this.f[key];
    }
  }

  branchOptions() {
    const set = new Set();
    for (const d of this.app.fleet.devices) if (d.branch && (!this.f.region || d.region === this.f.region)) set.add(d.branch);
    return [...set].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}));
  }

  onFleet(ev) {
    if (ev.type === 'reload') { this.refresh(); return; }
    if (ev.type === 'status') {
      if (this.f.status || this.sort.key === 'status' || this.sort.key === 'last_change') this.refilter();
      this.paint(true);
    }
  }

  sortBy(key) {
    this.sort = {key, dir: this.sort.key === key ? -this.sort.dir : (key === 'status' || key === 'last_change' ? -1 : 1)};
    this.refresh(true);
  }

  // refresh filters and sorts the fleet, then paints; top scrolls back to the first row.
  refresh(top) {
    this.fillSelects();
    const {q, region, branch, type, status} = this.f;
    const ql = q.toLowerCase();
    const rows = this.app.fleet.devices.filter((d) => (!region || d.region === region) && (!branch || d.branch === branch) &&
      (!type || d.type === type) && (!status || d.status === status) &&
      (!ql || d.name.toLowerCase().includes(ql) || d.ip.startsWith(ql)));
    rows.sort(comparator(this.sort));
    this.rows = rows;
    this.countEl.textContent = `${rows.length.toLocaleString()} of ${this.app.fleet.devices.length.toLocaleString()} devices`;
    for (const b of this.head.children) {
      b.dataset.sort = b.dataset.key === this.sort.key ? (this.sort.dir > 0 ? 'asc' : 'desc') : '';
      b.setAttribute('aria-sort', b.dataset.sort ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
    this.spacer.style.height = `${rows.length * ROW}px`;
    if (top) this.scroller.scrollTop = 0;
    this.syncHash();
    this.paint(true);
  }

  syncHash() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.f)) if (v) p.set(k, v);
    if (this.sort.key !== 'status' || this.sort.dir !== -1) { p.set('sort', this.sort.key); p.set('dir', this.sort.dir > 0 ? 'asc' : 'desc'); }
    const s = p.toString();
    history.replaceState(null, '', `#/devices${s ? '?' + s : ''}`);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.paint(false); });
  }

  // paint shows the rows in view, reusing row elements; force redraws rows whose data changed.
  paint(force) {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    const need = last - first;
    while (this.pool.length < need) {
      const el = h('a', {class: 'vrow', role: 'row'}, COLS.map((c) => h('span', {class: `vcell ${c.cls}`, role: 'cell'})));
      this.pool.push({el, id: 0, v: -1});
      this.spacer.append(el);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const slot = this.pool[i];
      const d = this.rows[first + i];
      if (i >= need || !d) { slot.el.hidden = true; slot.id = 0; continue; }
      slot.el.hidden = false;
      slot.el.style.transform = `translateY(${(first + i) * ROW}px)`;
      const fleet = this.app.fleet;
      const behind = fleet.state(d) === 'unreachable' ? fleet.blockedBy(d) : null;
      const ver = `${d.status}|${behind ? behind.id : ''}|${d.rtt_ms}|${d.loss_pct}|${d.last_change}`;
      if (force || slot.id !== d.id || slot.v !== ver) fillRow(slot.el, d, behind);
      slot.id = d.id;
      slot.v = ver;
    }
  }
}

// fillRow draws a device row; behind is the down root of an unreachable device (fleet.blockedBy)
// or null. The row is a link to the device, so the root is named here and linked on its page.
function fillRow(el, d, behind) {
  el.href = `#/devices/${d.id}`;
  el.dataset.id = d.id;
  el.dataset.status = d.status;
  el.dataset.state = behind ? 'unreachable' : d.status;
  el.className = `vrow st-${behind ? 'unreachable' : d.status}`;
  const c = el.children;
  c[0].replaceChildren(statusBadge(behind ? 'unreachable' : d.status));
  c[0].title = behind ? `unreachable — behind ${behind.name}` : '';
  if (behind) c[0].append(h('span', {class: 'behind'}, ` behind ${behind.name}`));
  c[1].textContent = d.name;
  c[2].textContent = d.ip;
  c[3].textContent = d.branch;
  c[4].textContent = d.region;
  c[5].textContent = d.type;
  c[6].textContent = d.rtt_ms === null || d.rtt_ms === undefined ? '–' : d.rtt_ms < 0.01 ? '<0.01 ms' : `${num(d.rtt_ms, 2)} ms`;
  c[7].textContent = d.loss_pct === null || d.loss_pct === undefined ? '–' : `${num(d.loss_pct, 0)} %`;
  c[8].textContent = ago(d.last_change);
  c[8].title = fmtTime(d.last_change);
}

function comparator({key, dir}) {
  const name = (a, b) => a.name.localeCompare(b.name, undefined, {numeric: true});
  switch (key) {
    case 'status': return (a, b) => dir * ((WORST[a.status] || 0) - (WORST[b.status] || 0)) || name(a, b);
    case 'rtt_ms': case 'loss_pct': return (a, b) => dir * ((a[key] ?? -1) - (b[key] ?? -1)) || name(a, b);
    case 'last_change': return (a, b) => dir * (Date.parse(a.last_change) - Date.parse(b.last_change)) || name(a, b);
    case 'ip': return (a, b) => dir * ipCompare(a.ip, b.ip);
    default: return (a, b) => dir * String(a[key] || '').localeCompare(String(b[key] || ''), undefined, {numeric: true}) || name(a, b);
  }
}

function ipCompare(a, b) {
  const pa = a.split(/[.:]/), pb = b.split(/[.:]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = parseInt(pa[i] || '0', a.includes(':') ? 16 : 10), y = parseInt(pb[i] || '0', b.includes(':') ? 16 : 10);
    if (x !== y) return x - y;
  }
  return 0;
}
