// Device detail: facts, latest measurements, RTT/loss/jitter charts over 1h…30d with hover
// values, CPU/memory and per-interface traffic when SNMP data exists, the events timeline and
// the device's alerts. A live status change updates the badge and the timeline.
import * as api from './api.js';
import * as alerts from './alertsapi.js';
import {lineChart} from './chart.js';
import {h, clear, statusBadge, statusIcon, fmtTime, fmtValue, ago, num, errorBox, section} from './dom.js';
import {table} from './reports.js';

const RANGES = {'1h': 3600e3, '6h': 6 * 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3};

export async function mount(view, {app, parts, query}) {
  const page = new DevicePage(view, app, Number(parts[1]), query.get('range') || '1h');
  await page.load();
  return page;
}

class DevicePage {
  constructor(view, app, id, range) {
    this.view = view;
    this.app = app;
    this.id = id;
    this.range = RANGES[range] ? range : '1h';
    this.unsub = app.fleet.subscribe((ev) => {
      if (!this.badge) return;
      this.setStatus(); // a parent's change can make this device unreachable, or reachable again
      if (ev.type === 'status' && ev.device.id === this.id) this.loadEvents();
    });
  }

  unmount() { this.unsub(); }

  async load() {
    let d;
    try {
      d = await api.devices.one(this.id);
    } catch (e) {
      this.view.append(errorBox(e.status === 404 ? `Device ${this.id} does not exist.` : `Device could not be loaded: ${e.message}`));
      return;
    }
    this.d = d;
    this.badge = h('span', {id: 'dev-status'});
    this.setStatus();
    this.chartsEl = h('div', {class: 'charts', id: 'charts'});
    this.snmpEl = h('div', {class: 'charts', id: 'snmp-charts'});
    this.eventsEl = h('ol', {class: 'timeline', id: 'events'});
    this.alertsEl = h('div', {id: 'dev-alerts'});
    this.rangeBar = h('div', {class: 'seg', role: 'group', 'aria-label': 'Range'}, Object.keys(RANGES).map((r) =>
      h('button', {type: 'button', class: r === this.range ? 'on' : '', dataset: {range: r}, onclick: () => this.setRange(r)}, r)));
    this.view.append(h('div', {class: 'device-page'},
      h('div', {class: 'page-head'}, h('h1', null, d.name), this.badge, h('span', {class: 'spacer'}), this.actions()),
      h('div', {class: 'grid2'}, section('Facts', facts(d, this.app.fleet)), section('Latest measurements', latest(d))),
      h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Reachability'), this.rangeBar), this.chartsEl),
      h('section', {class: 'card', id: 'snmp-card'}, h('h2', null, 'Interfaces and system (SNMP)'), this.ifTable = h('div', {id: 'interfaces'}), this.snmpEl),
      h('div', {class: 'grid2'}, section('Alerts', this.alertsEl), section('Events', this.eventsEl))));
    await Promise.all([this.loadCharts(), this.loadEvents(), this.loadAlerts()]);
  }

  actions() {
    const out = [];
    if (api.can('operator')) {
      this.pingOut = h('span', {class: 'muted', id: 'ping-out'});
      out.push(h('button', {type: 'button', class: 'btn', id: 'ping-now', onclick: () => this.pingNow()}, 'Ping now'), this.pingOut);
    }
    if (api.can('admin')) out.push(h('a', {class: 'btn', href: `#/admin?edit=${this.id}`}, 'Edit'));
    return out;
  }

  // setStatus shows the device's state from the live fleet (or the device API's answer when the
  // fleet does not hold it): "Unreachable — behind <root>" with a link to the root, when it
  // does not answer behind a down ancestor.
  setStatus() {
    const fleet = this.app.fleet;
    const live = fleet.byId.get(this.id);
    let st = live ? live.status : this.d.status;
    let root = null;
    if (live) {
      if (fleet.state(live) === 'unreachable') root = fleet.blockedBy(live);
    } else if (this.d.blocked_by != null && (st === 'down' || st === 'unknown')) {
      root = {id: this.d.blocked_by, name: `device ${this.d.blocked_by}`};
    }
    if (root) st = 'unreachable';
    this.badge.dataset.state = st;
    this.badge.replaceChildren(statusBadge(st));
    if (root) this.badge.append(h('span', {class: 'behind', id: 'dev-behind'}, ' — behind ', h('a', {href: `#/devices/${root.id}`}, root.name)));
  }

  setRange(r) {
    this.range = r;
    for (const b of this.rangeBar.children) b.className = b.dataset.range === r ? 'on' : '';
    history.replaceState(null, '', `#/devices/${this.id}?range=${r}`);
    this.loadCharts();
  }

  async loadCharts() {
    const to = Date.now(), from = to - RANGES[this.range];
    const metrics = [['rtt', 'Round-trip time', false], ['loss', 'Packet loss', true], ['jitter', 'Jitter', false]];
    const boxes = metrics.map(([m, title]) => h('div', {class: 'chart-box', dataset: {metric: m}}, h('h3', null, title), h('div', {class: 'chart-slot'}, 'loading…')));
    this.chartsEl.replaceChildren(...boxes);
    await Promise.all(metrics.map(async ([m, title, area], i) => {
      const slot = boxes[i].lastChild;
      try {
        const res = await api.devices.series(this.id, m, this.range);
        lineChart(slot, {series: [{name: title, points: res.points || []}], unit: res.unit, from, to, stepMs: res.step_ms, area, title});
      } catch (e) {
        slot.replaceChildren(errorBox(e.status === 503 ? 'No time-series database is configured.' : `Could not load: ${e.message}`));
      }
    }));
    await this.loadSNMP(from, to);
  }

  // loadSNMP draws CPU, memory and each interface's traffic; the card hides when the device has
  // no SNMP data in the range.
  async loadSNMP(from, to) {
    const get = (m) => api.devices.series(this.id, m, this.range).catch(() => null);
    const [cpu, mem, inb, outb, ifs] = await Promise.all([...['cpu', 'mem', 'in_bps', 'out_bps'].map(get),
      api.devices.interfaces(this.id).catch(() => null)]);
    const boxes = [];
    const ifList = (ifs && ifs.interfaces) || [];
    this.ifTable.replaceChildren(...(ifList.length ? [interfacesTable(ifList, this.id, api.can('admin'))] : []));
    const sys = [cpu && {name: 'CPU', points: cpu.points || []}, mem && {name: 'Memory', points: mem.points || []}].filter((x) => x && x.points.length);
    if (sys.length) boxes.push(this.chartBox('cpu-mem', 'CPU and memory', {series: sys, unit: 'percent', from, to, stepMs: (cpu || mem).step_ms}));
    const byIf = new Map();
    for (const [res, dir] of [[inb, 'in'], [outb, 'out']]) {
      for (const r of (res && res.interfaces) || []) {
        if (!byIf.has(r.interface)) byIf.set(r.interface, {});
        byIf.get(r.interface)[dir] = r;
      }
    }
    const names = [...byIf.keys()].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}));
    for (const name of names) {
      const v = byIf.get(name);
      const series = [v.in && {name: 'in', points: v.in.points || []}, v.out && {name: 'out', points: v.out.points || []}].filter(Boolean);
      boxes.push(this.chartBox(`if-${name}`, `Interface ${name}`, {series, unit: 'bps', from, to, stepMs: (v.in || v.out).step_ms}));
    }
    document.getElementById('snmp-card').hidden = boxes.length === 0 && ifList.length === 0;
    this.snmpEl.replaceChildren(...boxes.map((b) => b.box));
    for (const b of boxes) lineChart(b.slot, b.opts);
  }

  chartBox(key, title, opts) {
    const slot = h('div', {class: 'chart-slot'});
    return {box: h('div', {class: 'chart-box', dataset: {metric: key}}, h('h3', null, title), slot), slot, opts: {...opts, title}};
  }

  async loadEvents() {
    try {
      const res = await api.devices.events(this.id, 100);
      const evs = res.events || [];
      clear(this.eventsEl).append(...evs.map(eventItem));
      if (!evs.length) this.eventsEl.append(h('li', {class: 'muted'}, 'No events recorded.'));
    } catch (e) {
      clear(this.eventsEl).append(h('li', null, errorBox(e.message)));
    }
  }

  async loadAlerts() {
    try {
      const res = await alerts.list({device_id: this.id, limit: 50});
      if (res === null) { this.alertsEl.replaceChildren(h('p', {class: 'muted'}, 'Alerting is not available on this API yet.')); return; }
      const list = res.alerts || [];
      this.alertsEl.replaceChildren(...(list.length ? list.map((a) => h('div', {class: `alert-line sev-${a.severity}`},
        h('span', {class: `sev sev-${a.severity}`}, a.severity), h('span', {class: `state state-${a.state}`}, a.state),
        h('span', null, a.summary || a.rule), h('span', {class: 'muted', title: fmtTime(a.started_at)}, ago(a.started_at))))
        : [h('p', {class: 'muted'}, 'No alerts for this device.')]));
    } catch (e) {
      this.alertsEl.replaceChildren(errorBox(e.message));
    }
  }

  async pingNow() {
    const btn = document.getElementById('ping-now');
    btn.disabled = true;
    this.pingOut.textContent = 'pinging…';
    try {
      const t = await api.devices.ping(this.id);
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const st = await api.task(t.queue, t.task_id);
        if (st.state === 'completed') { this.pingOut.textContent = pingResult(st.result); return; }
        if (st.state === 'archived' || (st.last_error && st.retried >= st.max_retry)) { this.pingOut.textContent = `failed: ${st.last_error}`; return; }
      }
      this.pingOut.textContent = 'still queued; try again later';
    } catch (e) {
      this.pingOut.textContent = `failed: ${e.message}`;
    } finally {
      btn.disabled = false;
    }
  }
}

// interfacesTable lists the latest SNMP state of each interface: oper/admin status by icon
// and words, speed, current rates, utilisation and error rates, and the role per-interface
// alert rules select by (set here by admins, or derived from the alias by the profile).
function interfacesTable(list, deviceID, admin) {
  const state = (i) => {
    const st = i.admin_status === 'down' ? 'maintenance' : i.oper_status === 'up' ? 'up' : 'down';
    const words = i.admin_status === 'down' ? 'admin down' : i.oper_status;
    const never = st === 'down' && !i.seen_up;
    return h('span', {class: `badge st-${never ? 'unknown' : st}`, dataset: {oper: i.oper_status},
      title: never ? 'never up since discovered: interface-down alerts stay quiet for it' : ''},
    statusIcon(never ? 'unknown' : st), h('span', {class: 'badge-text'}, never ? `${words} (never up)` : words));
  };
  const pct = (v) => (v === null || v === undefined ? '–' : `${num(v, 1)} %`);
  const rows = list.map((i) => [h('span', {title: i.descr}, i.name + (i.alias ? ` (${i.alias})` : '')), state(i),
    roleCell(i, deviceID, admin),
    i.speed_bps ? fmtValue(i.speed_bps, 'bps') : '–', fmtValue(i.in_bps, 'bps'), fmtValue(i.out_bps, 'bps'),
    `${pct(i.in_utilization_pct)} / ${pct(i.out_utilization_pct)}`,
    `${num(i.in_errors_per_sec, 2)} / ${num(i.out_errors_per_sec, 2)}`, i.last_change ? ago(i.last_change) : '–']);
  return table(['Interface', 'Status', 'Role', 'Speed', 'In', 'Out', 'Utilisation in / out', 'Errors/s in / out', 'Last change'], rows, 'if-table');
}

const ROLE_RE = /^[a-z0-9_-]{0,32}$/;

// roleCell shows an interface's role ("uplink", or "wan · from alias"); an admin edits it in
// place: Save sets it, Clear returns it to what the profile's alias pattern derives.
function roleCell(i, deviceID, admin) {
  const cell = h('span', {class: 'if-role', dataset: {ifindex: String(i.if_index)}});
  const show = (role, source) => {
    const text = role ? [h('b', null, role), source === 'alias' ? h('span', {class: 'muted'}, ' · from alias') : ''] : [h('span', {class: 'muted'}, '–')];
    const edit = admin ? h('button', {type: 'button', class: 'btn small if-role-edit', title: `Set the role of ${i.name}`,
      onclick: () => editor(source === 'set' ? role : '')}, 'edit') : '';
    cell.replaceChildren(...text, ' ', edit);
  };
  const editor = (value) => {
    const input = h('input', {type: 'text', value, size: 10, maxlength: 32, placeholder: 'uplink, wan, access…',
      'aria-label': `Role of ${i.name}`, class: 'if-role-input'});
    const msg = h('span', {class: 'field-error', role: 'alert'});
    const save = async (role) => {
      if (!ROLE_RE.test(role)) { msg.textContent = 'a-z, 0-9, _ and - only, at most 32'; input.focus(); return; }
      try {
        await api.devices.setInterfaceRole(deviceID, i.if_index, role);
        const fresh = ((await api.devices.interfaces(deviceID)).interfaces || []).find((x) => x.if_index === i.if_index);
        show(fresh ? fresh.role : role, fresh ? fresh.role_source : (role ? 'set' : ''));
      } catch (e) {
        msg.textContent = e.message;
      }
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') save(input.value.trim().toLowerCase());
      if (ev.key === 'Escape') show(i.role, i.role_source);
    });
    cell.replaceChildren(input, ' ',
      h('button', {type: 'button', class: 'btn small primary if-role-save', onclick: () => save(input.value.trim().toLowerCase())}, 'Save'), ' ',
      h('button', {type: 'button', class: 'btn small if-role-clear', title: 'Use the role the profile derives from the alias',
        onclick: () => save('')}, 'Clear'), ' ', msg);
    input.focus();
  };
  show(i.role, i.role_source);
  return cell;
}

function pingResult(r) {
  if (!r) return 'done';
  const loss = r.loss_pct ?? r.loss;
  const rtt = r.rtt_avg_ms ?? r.rtt_ms ?? r.avg_ms;
  if (loss !== undefined || rtt !== undefined) return `${r.status ? r.status + ': ' : ''}loss ${num(loss, 0)} %, RTT ${num(rtt, 2)} ms`;
  return JSON.stringify(r).slice(0, 120);
}

function facts(d, fleet) {
  const parent = d.parent_id ? fleet.byId.get(d.parent_id) : null;
  const labels = Object.entries(d.labels || {}).map(([k, v]) => `${k}=${v}`).join(', ');
  const rows = [['IP', d.ip], ['Branch', d.branch], ['Region', d.region], ['Type', d.type], ['Vendor', d.vendor],
    ['Parent', d.parent_id ? h('a', {href: `#/devices/${d.parent_id}`}, parent ? parent.name : `device ${d.parent_id}`) : '–'],
    ['Profile', d.profile_id ?? 'default'], ['Labels', labels || '–'], ['Monitoring', d.enabled ? 'enabled' : 'disabled'],
    ['Created', fmtTime(d.created_at)]];
  return dl(rows);
}

function latest(d) {
  return dl([['RTT min / avg / max', `${num(d.rtt_min_ms, 2)} / ${num(d.rtt_ms, 2)} / ${num(d.rtt_max_ms, 2)} ms`],
    ['Jitter', `${num(d.jitter_ms, 2)} ms`], ['Loss', `${num(d.loss_pct, 0)} %`],
    ['Last seen', d.last_seen ? `${fmtTime(d.last_seen)} (${ago(d.last_seen)})` : 'never'],
    ['Status since', `${fmtTime(d.last_change)} (${ago(d.last_change)})`]]);
}

function dl(rows) {
  return h('dl', {class: 'facts'}, rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v === '' || v === undefined || v === null ? '–' : v)]));
}

function eventItem(e) {
  const what = e.kind === 'status' ? [statusBadge(e.from_status || 'unknown'), ' → ', statusBadge(e.to_status || 'unknown')]
    : [h('b', null, e.kind.replace('_', ' ')), detailText(e.detail)];
  return h('li', {class: `ev ev-${e.kind}`, dataset: {kind: e.kind}}, h('time', {datetime: e.at, title: ago(e.at)}, fmtTime(e.at)), h('span', {class: 'ev-what'}, what));
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  const parts = Object.entries(detail).slice(0, 4).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return parts.length ? ` — ${parts.join(', ')}` : '';
}


