// Alerts: the problem list (problems.js, as on the overview), firing,
// acknowledged and resolved alerts; open incidents with the suppressed alerts of the devices
// behind the failed parent folded under them; acknowledge and close with a comment. Live alert
// events refresh the page. Filters (severity, branch, region, rule kind, text) and the sort are
// in the URL (alertfilter.js) and applied by the server (GET /alerts), which answers one page
// of PAGE rows and the total of the matches: the page shows "1–100 of 5,000" and "+N more"
// instead of ever cutting the list silently. Alerts can be acknowledged or closed in bulk with
// one comment, and an incident as a whole (its root and the alerts under it).
import * as api from './api.js';
import * as af from './alertfilter.js';
import * as alerts from './alertsapi.js';
import * as problems from './problems.js';
import {open as dialog} from './dialog.js';
import {h, clear, fmtTime, ago, errorBox, debounce, markRendered} from './dom.js';

// PAGE is the rows of one page of the list.
export const PAGE = 100;

const TABS = [['firing', 'Firing'], ['acknowledged', 'Acknowledged'], ['resolved', 'Resolved']];

// tabState is the tab a query opens (firing unless it names another).
function tabState(query) {
  const s = query.get('state');
  return TABS.some(([t]) => t === s) ? s : 'firing';
}

// requests asks for what the tab shows besides the problem list: its page of the list and, on
// the firing tab, the open incidents and their firing alerts (each promise null when not asked).
function requests(state, f, opts) {
  const firing = state === 'firing';
  return {
    list: alerts.list(listQuery(state, f), opts),
    incidents: firing ? alerts.incidents('open', 100, opts) : null,
    roots: firing ? alerts.list({state: 'firing', in_open_incident: 'true', limit: 1000}, opts) : null,
  };
}

// listQuery is the GET /alerts query of a tab's list as filtered, sorted and paged: on the
// firing tab the alerts of an open incident are left out (they are under their incident).
function listQuery(state, f) {
  return {state, ...af.params(f), in_open_incident: state === 'firing' ? 'false' : undefined, limit: PAGE, offset: (f.page - 1) * PAGE};
}

// prefetch starts the first requests of the page a query opens (main.js calls it at boot, while
// the sign-in is checked); the page takes them once (app.takeEarly('alertsPage')).
export function prefetch(query, opts) {
  const r = requests(tabState(query), af.fromQuery(query), opts);
  for (const p of Object.values(r)) if (p) p.catch(() => {});
  return r;
}

export async function mount(view, {app, query}) {
  const page = new AlertsPage(view, app, tabState(query), af.fromQuery(query));
  // the alerts are asked for while the fleet loads; branch and region come from the fleet
  await page.load(app.fleet.loaded ? null : app.fleetReady.catch(() => {}));
  await Promise.race([app.live.opened, new Promise((r) => setTimeout(r, 3000))]);
  markRendered();
  return page;
}

class AlertsPage {
  constructor(view, app, state, filters) {
    this.app = app;
    this.f = filters;
    this.selected = new Set(); // alert ids ticked for a bulk action
    this.state = state;
    this.tabs = h('div', {class: 'seg', role: 'tablist'}, TABS.map(([s, label]) =>
      h('button', {type: 'button', role: 'tab', dataset: {state: s}, class: s === this.state ? 'on' : '', onclick: () => this.setState(s)}, label)));
    this.problems = new problems.ProblemList({...problems.LIMITS.alerts, fleet: app.fleet, id: 'alerts-problems'});
    this.probCard = h('section', {class: 'card', id: 'problems-card'}, h('h2', null, 'Problems'), this.problems.el);
    this.incEl = h('div', {id: 'incidents-list'});
    this.listEl = h('div', {id: 'alerts-list', class: 'alert-list'});
    this.filterEl = h('div', {id: 'alert-filter-box'});
    this.bulkEl = h('div', {class: 'row bulk', id: 'alert-bulk'});
    this.pager = h('div', {class: 'row pager', id: 'alerts-pager'});
    view.append(h('div', {class: 'alerts-page'}, h('div', {class: 'page-head'}, h('h1', null, 'Alerts'), this.tabs), this.probCard,
      h('section', {class: 'card', id: 'incidents-card'}, h('h2', null, 'Open incidents'), this.incEl),
      h('section', {class: 'card'}, this.filterEl, this.bulkEl, this.listEl, this.pager)));
    this.seq = 0; // answers of the list older than the last request are dropped
    this.refilter = debounce(() => { this.f.page = 1; this.syncHash(); this.loadList(); }, 250);
    const refresh = debounce(() => this.load(), 400);
    app.alertListeners.add(refresh);
    const unsub = app.fleet.subscribe(debounce(() => this.problems.update(), 300));
    this.off = () => { app.alertListeners.delete(refresh); unsub(); };
  }

  unmount() { this.off(); }

  setState(s) {
    this.state = s;
    for (const b of this.tabs.children) b.className = b.dataset.state === s ? 'on' : '';
    this.selected.clear();
    this.f.page = 1;
    this.syncHash();
    this.load();
  }

  syncHash() {
    history.replaceState(null, '', `#/alerts?${af.toQuery(this.state, this.f)}`);
  }

  query() {
    return listQuery(this.state, this.f);
  }

  // load reads and draws the tab: the list's page, and on the firing tab the problem list, the
  // open incidents and their firing alerts; fleetWait, when given, is awaited before drawing.
  async load(fleetWait) {
    const seq = ++this.seq;
    try {
      const firingTab = this.state === 'firing';
      // the first load takes what boot asked for (prefetch), when it was for this very page
      const early = await (this.app.takeEarly('alertsPage') || Promise.resolve(null)).catch(() => null);
      const r = early || requests(this.state, this.f);
      const [inc, res, roots, prob] = await Promise.all([r.incidents, r.list, r.roots,
        firingTab ? this.problems.load(this.app.takeEarly('problems')) : null]);
      if (fleetWait) await fleetWait;
      if (seq !== this.seq) return;
      this.probCard.hidden = !firingTab || prob === null;
      if (prob) this.problems.update();
      if (res === null) {
        clear(this.listEl).append(h('p', {class: 'muted', id: 'alerts-unavailable'}, 'Alerting is not available on this API yet: the alert routes are not registered.'));
        document.getElementById('incidents-card').hidden = true;
        return;
      }
      document.getElementById('incidents-card').hidden = !firingTab;
      if (firingTab) this.renderIncidents((inc && inc.incidents) || [], (roots && roots.alerts) || []);
      // drawn once: a live refresh must not take the focus from the search box being typed in
      if (!this.filterEl.firstChild) this.filterEl.append(af.bar(this.f, this.app.fleet, () => this.refilter()));
      this.show(res);
    } catch (e) {
      if (seq === this.seq) clear(this.listEl).append(errorBox(`Alerts could not be loaded: ${e.message}`));
    }
  }

  // loadList reads and draws only the list's page (a filter, sort or page change).
  async loadList() {
    const seq = ++this.seq;
    this.listEl.setAttribute('aria-busy', 'true');
    try {
      const res = await alerts.list(this.query());
      if (seq === this.seq && res) this.show(res);
    } catch (e) {
      if (seq === this.seq) clear(this.listEl).append(errorBox(`Alerts could not be loaded: ${e.message}`));
    } finally {
      if (seq === this.seq) this.listEl.removeAttribute('aria-busy');
    }
  }

  // show draws an answer of GET /alerts; a page past the end (rows acted on, or a stale
  // bookmark) moves to the last page there is.
  show(res) {
    const total = res.total || 0;
    const last = Math.max(1, Math.ceil(total / PAGE));
    if (this.f.page > last) {
      this.f.page = last;
      this.syncHash();
      this.loadList();
      return;
    }
    this.rows = res.alerts || [];
    this.total = total;
    this.renderList();
  }

  // renderList draws the page's alerts with a tick box each, the bulk actions and the pager.
  renderList() {
    const firingTab = this.state === 'firing';
    const rows = this.rows || [];
    const ids = new Set(rows.map((a) => a.id));
    for (const id of this.selected) if (!ids.has(id)) this.selected.delete(id); // only what is shown
    this.shown = rows;
    const title = firingTab ? 'Other firing alerts' : `${this.state[0].toUpperCase()}${this.state.slice(1)} alerts`;
    const narrowed = af.filtered(this.f);
    const from = (this.f.page - 1) * PAGE;
    const count = `${rows.length < this.total ? `${fmtCount(from + 1)}–${fmtCount(from + rows.length)} of ` : ''}${fmtCount(this.total)}${narrowed ? ' matching' : ''}`;
    clear(this.listEl).append(h('h2', null, title, ' ', h('span', {class: 'muted', id: 'alerts-total', dataset: {total: this.total}}, `(${count})`)),
      ...(rows.length ? rows.map((a) => this.alertRow(a, true)) : [h('p', {class: 'muted'}, `No ${firingTab ? 'other firing' : this.state} alerts${narrowed ? ' match the filters' : ''}.`)]));
    this.renderPager();
    this.renderBulk();
  }

  // renderPager says which rows of how many are shown, with "+N more" to the next page: the
  // list is never cut without saying so.
  renderPager() {
    const from = (this.f.page - 1) * PAGE;
    const rest = this.total - from - this.shown.length;
    this.pager.hidden = this.total <= PAGE && this.f.page === 1;
    if (this.pager.hidden) { this.pager.replaceChildren(); return; }
    const go = (page) => { this.f.page = page; this.selected.clear(); this.syncHash(); this.loadList(); };
    this.pager.replaceChildren(
      h('button', {type: 'button', class: 'btn small', id: 'alerts-prev', disabled: this.f.page === 1, onclick: () => go(this.f.page - 1)}, '‹ Previous'),
      h('span', {class: 'muted', id: 'alerts-range'}, `${fmtCount(from + 1)}–${fmtCount(from + this.shown.length)} of ${fmtCount(this.total)}`),
      rest > 0 ? h('button', {type: 'button', class: 'btn small', id: 'alerts-next', onclick: () => go(this.f.page + 1)},
        `+${fmtCount(rest)} more · next ${Math.min(PAGE, rest)} ›`) : null);
  }

  renderBulk() {
    if (!api.can('operator') || this.state === 'resolved') { this.bulkEl.hidden = true; return; }
    this.bulkEl.hidden = false;
    const n = this.selected.size;
    const all = h('input', {type: 'checkbox', id: 'bulk-all', 'aria-label': 'Select every alert shown', onchange: (e) => {
      for (const a of this.shown) if (e.target.checked) this.selected.add(a.id); else this.selected.delete(a.id);
      this.renderList();
    }});
    all.checked = n > 0 && n === this.shown.length;
    this.bulkEl.replaceChildren(...[h('label', {class: 'muted'}, all, ` ${n} selected`),
      this.state === 'firing' ? h('button', {type: 'button', class: 'btn small', id: 'bulk-ack', disabled: n === 0, onclick: () => this.bulk('ack')}, 'Acknowledge selected') : null,
      h('button', {type: 'button', class: 'btn small', id: 'bulk-close', disabled: n === 0, onclick: () => this.bulk('close')}, 'Close selected')].filter(Boolean));
  }

  // bulk acknowledges or closes every selected alert with one comment (one request each).
  async bulk(kind) {
    const list = this.shown.filter((a) => this.selected.has(a.id));
    const ok = await dialog({
      title: `${kind === 'ack' ? 'Acknowledge' : 'Close'} ${list.length} alert${list.length === 1 ? '' : 's'}`,
      text: 'The one comment goes on each of them.', comment: true, expiry: kind === 'ack',
      okText: kind === 'ack' ? 'Acknowledge all' : 'Close all',
      action: ({comment, minutes}) => each(list, (a) => (kind === 'ack' ? alerts.ack(a.id, comment, minutes) : alerts.close(a.id, comment))),
    });
    if (ok) { this.selected.clear(); this.load(); } // a page emptied by it moves back (show)
  }

  // ackIncident acknowledges an incident as a whole: its root alert and the firing alerts under it.
  async ackIncident(i) {
    const res = await alerts.list({incident_id: i.id, limit: 1000});
    const list = ((res && res.alerts) || []).filter((a) => a.state === 'firing');
    const ok = await dialog({title: `Acknowledge incident: ${i.title}`, text: `${list.length} firing alert${list.length === 1 ? '' : 's'} of the incident, with one comment.`,
      comment: true, expiry: true, okText: 'Acknowledge incident',
      action: ({comment, minutes}) => each(list, (a) => alerts.ack(a.id, comment, minutes))});
    if (ok) this.load();
  }

  // renderIncidents shows each open incident with its root alert (acknowledge/close act on it)
  // and, folded, the suppressed alerts of the devices behind it.
  renderIncidents(incidents, firing) {
    clear(this.incEl);
    if (!incidents.length) { this.incEl.append(h('p', {class: 'muted'}, 'No open incidents.')); return; }
    const byId = new Map(firing.map((a) => [a.id, a]));
    for (const i of incidents) {
      const root = byId.get(i.alert_id);
      const children = h('div', {class: 'children'}, h('p', {class: 'muted'}, 'loading…'));
      const fold = h('details', {class: 'fold'}, h('summary', null, `${i.affected_count} suppressed alert${i.affected_count === 1 ? '' : 's'} of devices behind ${i.root_name}`), children);
      fold.addEventListener('toggle', () => { if (fold.open) this.loadChildren(i, children); }, {once: true});
      const ackAll = api.can('operator') ? h('button', {type: 'button', class: 'btn small', dataset: {act: 'ack-incident'}, onclick: () => this.ackIncident(i)}, 'Acknowledge incident') : null;
      this.incEl.append(h('div', {class: 'incident-box', dataset: {incident: i.id}},
        h('div', {class: 'inc-head'}, h('b', null, i.title), ' ', h('span', {class: 'muted'}, `opened ${ago(i.opened_at)}${i.branch ? ' · branch ' + i.branch : ''}`), ' ', ackAll),
        root ? this.alertRow(root) : h('p', {class: 'muted'}, 'The root alert is not firing (acknowledged or resolved).'), fold));
    }
  }

  async loadChildren(inc, el) {
    try {
      const res = await alerts.list({incident_id: inc.id, limit: 1000});
      const list = ((res && res.alerts) || []).filter((a) => a.id !== inc.alert_id);
      clear(el).append(...(list.length ? list.map((a) => this.alertRow(a)) : [h('p', {class: 'muted'}, 'No alerts under this incident.')]));
    } catch (e) {
      clear(el).append(errorBox(e.message));
    }
  }

  alertRow(a, selectable) {
    const acts = h('span', {class: 'actions'});
    let tick = h('span');
    if (selectable && api.can('operator') && a.state !== 'resolved') {
      tick = h('input', {type: 'checkbox', class: 'pick', 'aria-label': 'Select', dataset: {alert: a.id}, onchange: (e) => {
        if (e.target.checked) this.selected.add(a.id); else this.selected.delete(a.id);
        this.renderBulk();
      }});
      tick.checked = this.selected.has(a.id);
    }
    if (api.can('operator') && a.state === 'firing') {
      acts.append(h('button', {type: 'button', class: 'btn small', dataset: {act: 'ack'}, onclick: () => this.act(a, 'ack')}, 'Acknowledge'));
    }
    if (api.can('operator') && a.state !== 'resolved') {
      acts.append(h('button', {type: 'button', class: 'btn small', dataset: {act: 'close'}, onclick: () => this.act(a, 'close')}, 'Close'));
    }
    const who = a.acked_by ? h('span', {class: 'muted ack-who'}, `acknowledged by ${a.acked_by}${a.acked_at ? ' at ' + fmtTime(a.acked_at) : ''}${a.state === 'acknowledged' ? (a.ack_expires_at ? ' until ' + fmtTime(a.ack_expires_at) : ' until it resolves') : ''}${a.ack_comment ? ': “' + a.ack_comment + '”' : ''}`) : null;
    const closed = a.closed_by ? h('span', {class: 'muted'}, `closed by ${a.closed_by}${a.close_comment ? ': “' + a.close_comment + '”' : ''}`) : null;
    return h('div', {class: `alert-row sev-${a.severity}`, dataset: {alert: a.id, state: a.state}}, tick,
      h('span', {class: `sev sev-${a.severity}`}, a.severity),
      h('span', {class: `state state-${a.state}`}, a.flapping ? `${a.state}, flapping` : a.state),
      h('span', {class: 'alert-main'}, h('b', null, a.summary || a.rule), ' ',
        a.device_id ? h('a', {href: `#/devices/${a.device_id}`}, a.device || `device ${a.device_id}`) : h('span', {class: 'muted'}, 'system'),
        a.subject ? h('span', {class: 'muted'}, ` · ${a.subject}`) : null, who, closed),
      h('span', {class: 'muted since', title: fmtTime(a.started_at)}, a.resolved_at ? `resolved ${ago(a.resolved_at)}` : `since ${ago(a.started_at)}`),
      acts);
  }

  async act(a, kind) {
    const ok = await dialog({
      title: kind === 'ack' ? `Acknowledge: ${a.summary || a.rule}` : `Close: ${a.summary || a.rule}`,
      text: kind === 'ack' ? 'Notifications stop repeating while it is acknowledged.' : 'Closing resolves it by hand; the resolve is sent where the firing went.',
      comment: true, expiry: kind === 'ack', okText: kind === 'ack' ? 'Acknowledge' : 'Close alert',
      action: ({comment, minutes}) => (kind === 'ack' ? alerts.ack(a.id, comment, minutes) : alerts.close(a.id, comment)),
    });
    if (ok) this.load();
  }
}

// fmtCount writes a count with thousands separators (5,000).
function fmtCount(n) {
  return Number(n || 0).toLocaleString('en-US');
}

// each runs fn over list, four at a time, and fails with the first error (after all ran).
async function each(list, fn) {
  let i = 0, first = null;
  const worker = async () => {
    while (i < list.length) {
      const a = list[i++];
      try { await fn(a); } catch (e) { first = first || e; }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (first) throw first;
}
