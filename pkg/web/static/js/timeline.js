// What changed: the overview's timeline of the last hour (issue 14 point 6) — devices' state
// changes and alerts' events from GET /api/v1/timeline, newest first, so the next shift sees
// what happened. Filters (what, severity, text) are kept in the overview's address
// (#/?tl=alert&tlsev=critical&tlq=almaty). Live events reload it (at most every 3 s).
import {get, qs} from './api.js';
import {h, clear, statusBadge, debounce, fmtTime} from './dom.js';

const SHOWN_ROWS = 15;
const HOUR_MS = 3600e3;
const ZONE = new Intl.DateTimeFormat(undefined, {timeZoneName: 'short'}).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value || 'local time';
const TIME = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'});

// ALERT_WORDS are how alert events read in a line.
const ALERT_WORDS = {fired: 'fired', resolved: 'resolved', acknowledged: 'acknowledged', unacknowledged: 'acknowledgement removed',
  closed: 'closed by hand', suppressed: 'suppressed', released: 'no longer suppressed', repeat: 'repeated', flapping: 'flapping',
  flap_end: 'stopped flapping', ack_expired: 'acknowledgement expired', suppression_changed: 'suppression changed'};

export class Timeline {
  // query holds the filters (URLSearchParams of the overview's address); fleet, if given, is
  // the live state: a device's last change to down reads "unreachable — behind <parent>" while
  // the dashboard shows it unreachable.
  constructor(query, fleet) {
    this.fleet = fleet || null;
    this.source = (query && query.get('tl')) || '';
    this.severity = (query && query.get('tlsev')) || '';
    this.text = (query && query.get('tlq')) || '';
    this.all = false;
    this.changes = [];
    this.more = false;
    this.list = h('div', {class: 'tl-rows', id: 'timeline-rows'}, h('p', {class: 'muted'}, 'loading…'));
    const pick = (id, value, opts, on) => {
      const el = h('select', {id, onchange: () => on(el.value)}, opts.map(([v, l]) => h('option', {value: v, selected: v === value}, l)));
      return el;
    };
    const text = h('input', {id: 'timeline-q', type: 'search', placeholder: 'device or alert text', value: this.text, autocomplete: 'off',
      'aria-label': 'Filter the timeline by text'});
    text.addEventListener('input', debounce(() => { this.text = text.value.trim(); this.changed(); }, 300));
    this.filters = h('div', {class: 'tl-filters', id: 'timeline-filters'},
      pick('timeline-source', this.source, [['', 'Status and alerts'], ['device', 'Device status only'], ['alert', 'Alerts only']],
        (v) => { this.source = v; this.changed(); }),
      pick('timeline-severity', this.severity, [['', 'Any severity'], ['critical', 'Critical'], ['critical,major', 'Major and above'],
        ['critical,major,minor', 'Minor and above']], (v) => { this.severity = v; this.changed(); }),
      text, h('span', {class: 'muted tl-zone'}, `times in ${ZONE}`));
    this.el = h('div', {class: 'timeline', id: 'timeline'}, this.filters, this.list);
    this.reloadSoon = debounce(() => this.load(), 3000);
  }

  changed() {
    this.all = false;
    this.keepInAddress();
    this.load();
  }

  // keepInAddress writes the filters into the overview's address without a route change.
  keepInAddress() {
    const p = new URLSearchParams(location.hash.split('?')[1] || '');
    for (const [k, v] of [['tl', this.source], ['tlsev', this.severity], ['tlq', this.text]]) if (v) p.set(k, v); else p.delete(k);
    const q = p.toString();
    history.replaceState(null, '', `#/${q ? `?${q}` : ''}`);
  }

  async load() {
    const since = new Date(Date.now() - HOUR_MS).toISOString();
    const params = {since, source: this.source, q: this.text, limit: 500};
    // a severity filter applies to alerts; with it, device changes would drown the alerts
    if (this.severity) { params.severity = this.severity; if (!this.source) params.source = 'alert'; }
    try {
      const ans = await get(`/timeline${qs(params)}`);
      this.changes = ans.changes || [];
      this.more = !!ans.more;
      this.loaded = true;
      this.render();
    } catch (e) {
      if (e.status === 404) { this.el.hidden = true; return; } // an API without the timeline
      clear(this.list).append(h('p', {class: 'error'}, `The timeline could not be loaded: ${e.message}`));
    }
  }

  render() {
    const rows = this.all ? this.changes : this.changes.slice(0, SHOWN_ROWS);
    this.list.dataset.count = this.changes.length;
    if (!rows.length) { clear(this.list).append(h('p', {class: 'ok-note'}, 'Nothing changed in the last hour.')); return; }
    const hidden = this.changes.length - rows.length;
    clear(this.list).append(...[h('ol', {class: 'tl-list'}, rows.map((c) => line(c, this.fleet))),
      hidden > 0 ? h('button', {type: 'button', class: 'btn small tl-more', onclick: () => { this.all = true; this.render(); }},
        `+${hidden.toLocaleString()} more in the last hour`) : null,
      this.all && this.more ? h('p', {class: 'muted'}, 'The 500 newest changes are shown; narrow the filters for older ones.') : null].filter(Boolean));
  }
}

// shownTo is the state a status change is shown going to: the stored one, except that the
// device's latest change to down (or unknown) reads unreachable, behind its down ancestor,
// while the fleet shows it so. It returns [state, the ancestor or null].
function shownTo(c, fleet) {
  const d = fleet && c.device_id && fleet.byId.get(c.device_id);
  if (!d || (c.to !== 'down' && c.to !== 'unknown') || fleet.state(d) !== 'unreachable') return [c.to || 'unknown', null];
  if (d.last_change && Date.parse(c.at) < Date.parse(d.last_change) - 1000) return [c.to, null]; // an older change
  return ['unreachable', fleet.blockedBy(d)];
}

// line is one change: the time, what kind, and a sentence.
function line(c, fleet) {
  const dev = c.device_id ? h('a', {href: `#/devices/${c.device_id}`}, c.device_name || `device ${c.device_id}`) : h('b', null, c.device_name || 'system');
  let what;
  if (c.source === 'device') {
    if (c.kind === 'status' || c.kind === 'maintenance') {
      const [to, behind] = shownTo(c, fleet);
      what = [dev, ' ', statusBadge(c.from || 'unknown'), ' → ', statusBadge(to),
        behind ? h('span', {class: 'muted tl-behind'}, ' — behind ', h('a', {href: `#/devices/${behind.id}`}, behind.name)) : null];
    }
    else if (c.kind === 'if_down' || c.kind === 'if_up') what = [dev, ` interface ${c.subject || ''} ${c.kind === 'if_up' ? 'up' : 'down'}`];
    else if (c.kind === 'reboot') what = [dev, ' rebooted'];
    else what = [dev, ` ${c.kind.replace(/_/g, ' ')}`];
  } else {
    what = [h('span', {class: `sev sev-${c.severity}`}, c.severity), ' ', dev, `: ${c.summary || c.rule}`,
      c.subject && !(c.summary || '').includes(c.subject) ? h('span', {class: 'muted'}, ` · ${c.subject}`) : null,
      h('span', {class: 'tl-kind'}, ` — ${ALERT_WORDS[c.kind] || c.kind}`), c.actor ? ` by ${c.actor}` : '',
      c.comment ? h('span', {class: 'muted'}, ` (“${c.comment}”)`) : null];
  }
  return h('li', {class: `tl tl-${c.source}`, dataset: {source: c.source, kind: c.kind}},
    h('time', {datetime: c.at, title: fmtTime(c.at)}, TIME.format(new Date(c.at))), h('span', {class: 'tl-what'}, what));
}
