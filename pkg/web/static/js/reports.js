// Availability report: uptime % per branch and per device over 1d/7d/30d and the outage list,
// computed by the API from the devices' status events; each table exports as CSV.
import * as api from './api.js';
import {h, clear, fmtTime, num, duration, errorBox} from './dom.js';

const RANGES = ['1d', '7d', '30d'];
const SHOW = 200;

export async function mount(view, {query}) {
  const page = new ReportPage(view, RANGES.includes(query.get('range')) ? query.get('range') : '7d');
  await page.load();
  return page;
}

class ReportPage {
  constructor(view, range) {
    this.range = range;
    this.seg = h('div', {class: 'seg', role: 'group', 'aria-label': 'Range'}, RANGES.map((r) =>
      h('button', {type: 'button', dataset: {range: r}, class: r === range ? 'on' : '', onclick: () => this.setRange(r)}, r)));
    this.body = h('div', {id: 'report'});
    view.append(h('div', {class: 'report-page'}, h('div', {class: 'page-head'}, h('h1', null, 'Availability'), this.seg), this.body));
  }

  unmount() {}

  setRange(r) {
    this.range = r;
    for (const b of this.seg.children) b.className = b.dataset.range === r ? 'on' : '';
    history.replaceState(null, '', `#/reports?range=${r}`);
    this.load();
  }

  async load() {
    clear(this.body).append(h('p', {class: 'muted'}, 'computing…'));
    let rep;
    try {
      rep = await api.availability(this.range);
    } catch (e) {
      clear(this.body).append(errorBox(e.status === 404 ? 'The availability report is not available on this API yet.' : `Report failed: ${e.message}`));
      return;
    }
    const csv = (table) => h('a', {class: 'btn small', href: api.availabilityCSV(this.range, table), download: `availability-${table}-${this.range}.csv`}, 'Export CSV');
    const sum = rep.summary || {};
    clear(this.body).append(
      h('p', {class: 'report-sum', id: 'report-summary'}, h('b', null, `${num(sum.uptime_pct, 3)} %`), ` fleet availability from ${fmtTime(rep.from)} to ${fmtTime(rep.to)} · `,
        `${sum.devices || 0} devices · ${sum.outages || 0} outages · ${duration(sum.down_s || 0)} down in total`),
      h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Branches'), csv('branches')),
        table(['Region', 'Branch', 'Devices', 'Uptime', 'Down', 'Outages'], (rep.branches || []).slice(0, SHOW).map((b) =>
          [b.region, h('a', {href: `#/devices?region=${encodeURIComponent(b.region)}&branch=${encodeURIComponent(b.branch)}`}, b.branch), b.devices, pct(b.uptime_pct), duration(b.down_s), b.outages]), 'rep-branches')),
      h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Devices (least available first)'), csv('devices')),
        table(['Device', 'Branch', 'Region', 'Uptime', 'Down', 'Outages'], (rep.devices || []).slice(0, SHOW).map((d) =>
          [h('a', {href: `#/devices/${d.id}`}, d.name), d.branch, d.region, pct(d.uptime_pct), duration(d.down_s), d.outages]), 'rep-devices'),
        more(rep.devices, 'devices')),
      h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Outages'), csv('outages')),
        table(['Device', 'Branch', 'Down from', 'Until', 'Duration'], (rep.outages || []).slice(0, SHOW).map((o) =>
          [h('a', {href: `#/devices/${o.device_id}`}, o.device), o.branch, fmtTime(o.start), o.end ? fmtTime(o.end) : h('b', null, 'still down'), duration(o.duration_s)]), 'rep-outages'),
        more(rep.outages, 'outages')));
  }
}

function pct(v) {
  const el = h('span', {class: v >= 99.9 ? 'good' : v >= 99 ? 'warn' : 'bad'}, v === null || v === undefined ? '–' : `${num(v, 3)} %`);
  return el;
}

function more(list, what) {
  return list && list.length > SHOW ? h('p', {class: 'muted'}, `Showing ${SHOW} of ${list.length} ${what}; the CSV has them all.`) : null;
}

// table builds a plain table; cells are strings, numbers or nodes.
export function table(head, rows, id) {
  if (!rows.length) return h('p', {class: 'muted'}, 'Nothing in this range.');
  return h('div', {class: 'table-wrap'}, h('table', {class: 'tbl', id}, h('thead', null, h('tr', null, head.map((x) => h('th', null, x)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
}
