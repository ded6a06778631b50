// Overview: counts by shown state (unreachable apart from down), health strip, the problem list
// (problems.js) and regions → branch tiles with the worst of status and open alerts inside.
// Live status events update the counts and the one tile concerned.
// Wall mode (#/wall) is the same page, dark and large, with a clock and no controls.
import * as api from './api.js';
import * as problems from './problems.js';
import {Timeline} from './timeline.js';
import {SEVERITY} from './alertsapi.js';
import {summarize, branchKey} from './fleet.js';
import {h, clear, statusBadge, statusIcon, SHOWN, STATUS_TEXT, WORST, fmtTime, errorBox, section, debounce, markRendered} from './dom.js';

const HEALTH_ORDER = ['api', 'database', 'redis', 'victoriametrics', 'workers', 'disk_space'];

export async function mount(view, {app, wall, query}) {
  const page = new Overview(view, app, wall, query);
  page.sound = wall && query && query.get('sound') === '1'; // opt-in: #/wall?sound=1
  await page.first();
  return page;
}

class Overview {
  constructor(view, app, wall, query) {
    this.view = view;
    this.app = app;
    this.wall = wall;
    this.tiles = new Map();   // branch key → {el, branch}
    this.regionEls = new Map();
    this.timers = [];
    this.pending = false;
    this.unsub = app.fleet.subscribe((ev) => this.onFleet(ev));
    this.alertSev = new Map(); // device id → worst open alert severity
    // the wall shows every row: its list pages by itself (nothing to click on a wall)
    this.problems = new problems.ProblemList({...problems.LIMITS[wall ? 'wall' : 'overview'], fleet: app.fleet});
    // a status change can make a device unreachable behind an incident (drawn from the fleet),
    // or move a device's alerts in or out of maintenance (the server sorts them: asked again)
    this.reloadProblems = debounce(() => this.loadAlerts(), 300);
    this.redrawProblems = debounce(() => {
      this.problems.update();
      const sev = problems.alertSeverityByDevice(this.alertData, app.fleet);
      if ([...sev].join() !== [...this.alertSev].join()) { this.alertSev = sev; this.redrawTiles(); }
    }, 300);
    // what changed in the last hour (not on the wall: it shows what is wrong now)
    this.timeline = wall ? null : new Timeline(query, app.fleet);
    const onAlert = debounce(() => { this.loadAlerts(); if (this.timeline) this.timeline.reloadSoon(); }, 1000);
    app.alertListeners.add(onAlert);
    this.offAlert = () => app.alertListeners.delete(onAlert);
  }

  async first() {
    const v = this.view;
    this.countsEl = h('div', {class: 'counts', id: 'counts'});
    this.healthEl = h('div', {class: 'health', id: 'health'}, h('span', {class: 'muted'}, 'checking health…'));
    this.alertsEl = h('div', {class: 'incidents', id: 'incidents'}, h('p', {class: 'muted'}, 'loading alerts…'));
    this.regionsEl = h('div', {class: 'regions', id: 'regions'});
    const head = this.wall ? h('div', {class: 'wall-head'}, h('span', {class: 'wall-title'}, 'WardOps — network status'),
      this.clock = h('span', {class: 'clock'})) : null;
    if (this.wall) {
      // the wall: what is wrong on the left, every branch (or region) on the right, both always
      // on screen; a list longer than its box pages by itself
      v.append(h('div', {class: 'overview wall-grid'}, head, this.countsEl, h('div', {class: 'wall-main'},
        section('Problems', this.alertsEl), section('Regions and branches', this.regionsEl)), this.healthEl));
      this.tick();
      this.timers.push(setInterval(() => { pageBox(this.alertsEl); pageBox(this.regionsEl); }, WALL_PAGE_MS));
      // Esc leaves the wall, except on a screen signed in with a display token (it has nothing else)
      this.onKey = (e) => { if (e.key === 'Escape' && !api.isDisplay()) location.hash = '#/'; };
      document.addEventListener('keydown', this.onKey);
    } else {
      v.append(h('div', {class: 'overview'}, head, this.countsEl, this.healthEl,
        section('Problems', this.alertsEl), h('h2', {class: 'regions-title'}, 'Regions and branches'), this.regionsEl,
        section('What changed — last hour', this.timeline.el)));
      this.timeline.load();
      this.timers.push(setInterval(() => this.timeline.load(), 60000));
    }
    this.timers.push(setInterval(() => this.loadHealth(), 15000), setInterval(() => this.loadAlerts(), 30000));
    const fleet = this.app.fleet;
    const ready = fleet.loaded ? Promise.resolve() : this.app.fleetReady;
    await Promise.all([
      // the fleet's 'reload' event may have drawn it already
      ready.then(() => { if (this.drawn !== fleet.version) this.renderAll(); },
        (e) => this.regionsEl.replaceChildren(errorBox(`Devices could not be loaded: ${e.message}`))),
      this.loadHealth(), this.loadAlerts(),
    ]);
    await Promise.race([this.app.live.opened, new Promise((r) => setTimeout(r, 3000))]);
    markRendered();
  }

  unmount() {
    this.unsub();
    this.offAlert();
    this.timers.forEach(clearInterval);
    cancelAnimationFrame(this.frame);
    if (this.onKey) document.removeEventListener('keydown', this.onKey);
    document.title = 'WardOps';
    document.body.classList.remove('flash');
    clearTimeout(this.clockTimer);
  }

  tick() {
    if (!this.clock) return;
    this.clock.textContent = CLOCK.format(new Date());
    this.clockTimer = setTimeout(() => this.tick(), 1000);
  }

  onFleet(ev) {
    this.redrawProblems();
    if (ev.type === 'status' && (ev.from === 'maintenance' || ev.device.status === 'maintenance')) this.reloadProblems();
    if (this.timeline && ev.type === 'status') this.timeline.reloadSoon();
    if (this.timeline && ev.type === 'reload' && this.timeline.loaded) this.timeline.render(); // unreachable is the fleet's word
    if (ev.type === 'reload') { this.renderAll(); return; }
    if (ev.type === 'status') {
      this.renderCounts();
      const t = this.tiles.get(branchKey(ev.device));
      if (t) this.updateTile(t);
      else { this.renderAll(); return; }
      // a parent's change can make devices of other branches unreachable (or reachable): the
      // other tiles and the region heads follow once per frame, however many events came
      if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.redrawTiles(); });
    }
  }

  renderAll() {
    performance.mark('wardops-render-start');
    this.renderCounts();
    let regions = this.app.fleet.regions();
    this.tiles.clear();
    this.regionEls.clear();
    // a wall with more branches than fit folds each region into one tile
    const folded = this.wall && regions.reduce((n, r) => n + r.branches.length, 0) > WALL_MAX_BRANCHES;
    this.regionsEl.classList.toggle('folded', !!folded);
    if (folded) regions = [{name: 'All regions', folded: true, branches: regions.map((r) => foldRegion(r))}];
    const frag = document.createDocumentFragment();
    for (const r of regions) frag.append(this.regionSection(r));
    clear(this.regionsEl).append(frag);
    if (regions.length === 0) this.regionsEl.append(h('p', {class: 'muted'}, 'No devices yet. Add some in Admin.'));
    this.drawn = this.app.fleet.version;
    performance.mark('wardops-render-end');
  }

  renderCounts() {
    const c = this.app.fleet.counts();
    const total = this.app.fleet.devices.length;
    const cards = [h('a', {class: 'count total', href: '#/devices', dataset: {status: 'total'}},
      h('span', {class: 'count-n'}, total.toLocaleString()), h('span', {class: 'count-label'}, 'Devices'))];
    for (const st of SHOWN) {
      cards.push(h('a', {class: `count st-${st}${c[st] ? '' : ' zero'}`, href: `#/devices?status=${st}`, dataset: {status: st}},
        h('span', {class: 'count-n'}, c[st].toLocaleString()), h('span', {class: 'count-label'}, statusIcon(st), STATUS_TEXT[st])));
    }
    this.countsEl.replaceChildren(...cards);
  }

  regionSection(r) {
    const tiles = h('div', {class: 'tiles'});
    for (const b of r.branches) {
      const href = b.keys ? `#/devices?region=${encodeURIComponent(b.region)}` : `#/devices?region=${encodeURIComponent(b.region)}&branch=${encodeURIComponent(b.name)}`;
      const t = {branch: b, el: h('a', {class: 'tile', href})};
      for (const k of b.keys || [b.key]) this.tiles.set(k, t);
      this.updateTile(t);
      tiles.append(t.el);
    }
    const head = h('h3', {class: 'region-head'});
    this.regionEls.set(r.name, {head, region: r});
    this.updateRegionHead(this.regionEls.get(r.name));
    return h('section', {class: 'region', dataset: {region: r.name}}, head, tiles);
  }

  updateRegionHead({head, region: r}) {
    const sum = summarize(r.branches.flatMap((b) => b.devices), this.app.fleet);
    head.dataset.worst = sum.worst;
    head.replaceChildren(statusBadge(sum.worst), h('span', {class: 'region-name'}, r.name),
      h('span', {class: 'muted'}, `${r.branches.length} ${r.folded ? 'regions' : 'branches'} · ${sum.n} devices${problemText(sum)}`));
  }

  // updateTile draws a branch by the worse of its devices' shown states and their open alerts:
  // data-worst is the worst state, data-alert the worst alert severity, data-level the one the
  // tile shows (an up branch with a major alert is drawn as degraded, and says why).
  updateTile(t) {
    const b = t.branch;
    const sum = summarize(b.devices, this.app.fleet);
    let sev = '', alerting = 0;
    for (const d of b.devices) {
      const s = this.alertSev.get(d.id);
      if (!s) continue;
      alerting++;
      if (!sev || SEVERITY[s] > SEVERITY[sev]) sev = s;
    }
    const byAlert = sev && problems.ALERT_RANK[sev] > WORST[sum.worst] ? (problems.ALERT_RANK[sev] >= WORST.down ? 'down' : 'degraded') : '';
    const level = byAlert || sum.worst;
    t.el.className = `tile st-${level}${byAlert ? ' by-alert' : ''}`;
    t.el.dataset.branch = b.name;
    t.el.dataset.region = b.region;
    t.el.dataset.worst = sum.worst;
    t.el.dataset.alert = sev;
    t.el.dataset.level = level;
    t.el.title = `${b.name}: ${SHOWN.filter((s) => sum.counts[s]).map((s) => `${sum.counts[s]} ${s}`).join(', ')}${alerting ? `; ${alerting} with open alerts (worst ${sev})` : ''}`;
    t.el.replaceChildren(h('span', {class: 'tile-name'}, b.name),
      h('span', {class: 'tile-badges'}, statusBadge(sum.worst), sev ? h('span', {class: `sev sev-${sev}`, title: 'worst open alert'}, sev) : null),
      h('span', {class: 'tile-sub'}, `${sum.n} device${sum.n === 1 ? '' : 's'}${problemText(sum)}${alerting ? ` · ${alerting} alerting` : ''}`));
  }

  // announce puts the count of firing criticals in the tab title and, on a critical not seen
  // before (not at the first load), flashes the wall and, if asked for, beeps.
  announce(data) {
    const crit = this.problems.last ? this.problems.last.counts.critical : 0;
    document.title = crit ? `(${crit} critical) WardOps` : 'WardOps';
    const ids = new Set(data.critical_ids || []);
    const fresh = this.critSeen ? [...ids].some((id) => !this.critSeen.has(id)) : false;
    this.critSeen = ids;
    if (!fresh || !this.wall) return;
    document.body.classList.remove('flash');
    void document.body.offsetWidth; // restart the animation
    document.body.classList.add('flash');
    if (this.sound) beep();
  }

  // redrawTiles redraws every tile and region head in place.
  redrawTiles() {
    for (const t of new Set(this.tiles.values())) this.updateTile(t);
    for (const r of this.regionEls.values()) this.updateRegionHead(r);
  }

  async loadHealth() {
    try {
      const rep = await (this.app.takeEarly('health') || api.health());
      const comps = Object.entries(rep.components || {}).sort((a, b) => order(a[0]) - order(b[0]));
      this.healthEl.replaceChildren(h('span', {class: `chip lvl-${rep.status}`, title: `checked ${fmtTime(rep.checked_at)}`},
        levelIcon(rep.status), `System ${rep.status}`),
      ...comps.map(([name, line]) => {
        const level = String(line).split(':')[0];
        return h('span', {class: `chip lvl-${level}`, title: line, dataset: {component: name}}, levelIcon(level),
          h('b', null, name.replace('_', ' ')), ' ', String(line).slice(level.length + 1).trim());
      }));
    } catch (e) {
      this.healthEl.replaceChildren(h('span', {class: 'chip lvl-critical'}, levelIcon('critical'), `Health unavailable: ${e.message}`));
    }
  }

  async loadAlerts() {
    try {
      const early = this.app.takeEarly('problems');
      const data = await this.problems.load(early);
      // the wall shows more rows than the first answer holds: asked for once it is drawn
      if (early && this.wall) setTimeout(() => this.loadAlerts(), 0);
      if (data === null) {
        this.alertsEl.replaceChildren(h('p', {class: 'muted'}, 'Alerting is not available on this API yet.'));
        return;
      }
      this.alertData = data;
      this.alertSev = problems.alertSeverityByDevice(data, this.app.fleet);
      this.announce(data);
      if (this.alertsEl.childNodes.length !== 1 || this.alertsEl.firstChild !== this.problems.el) this.alertsEl.replaceChildren(this.problems.el);
      this.redrawTiles();
    } catch (e) {
      this.alertsEl.replaceChildren(errorBox(`Alerts could not be loaded: ${e.message}`));
    }
  }
}

// WALL_MAX_BRANCHES: past this many branches the wall shows one tile per region; WALL_PAGE_MS:
// how long a page of a long wall list stays before the next.
const WALL_MAX_BRANCHES = 240;
const WALL_PAGE_MS = 10000;

// CLOCK is the wall's clock: 24-hour, with the time zone.
const CLOCK = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short'});

// beep sounds a short two-tone alarm (Web Audio; a browser may keep it silent until the page
// was clicked once, which a wall screen's operator does when setting it up).
function beep() {
  try {
    const ctx = new AudioContext();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.connect(g).connect(ctx.destination);
    g.gain.value = 0.2;
    o.frequency.setValueAtTime(880, ctx.currentTime);
    o.frequency.setValueAtTime(660, ctx.currentTime + 0.25);
    o.start();
    o.stop(ctx.currentTime + 0.5);
    o.onended = () => ctx.close();
  } catch { /* no audio here */ }
}

// foldRegion makes a region into one tile's worth of devices (the wall at 10,000 devices).
function foldRegion(r) {
  return {key: `region\u0000${r.name}`, keys: r.branches.map((b) => b.key), region: r.name, name: r.name,
    devices: r.branches.flatMap((b) => b.devices)};
}

// pageBox shows the next page of a box whose content is taller than it, back to the top after
// the last.
function pageBox(el) {
  if (el.scrollHeight <= el.clientHeight + 4) { el.scrollTop = 0; return; }
  const next = el.scrollTop + el.clientHeight * 0.9;
  el.scrollTo({top: next >= el.scrollHeight - el.clientHeight + 2 ? 0 : next, behavior: 'smooth'});
}

function problemText(sum) {
  const parts = [];
  if (sum.counts.down) parts.push(`${sum.counts.down} down`);
  if (sum.counts.unreachable) parts.push(`${sum.counts.unreachable} unreachable`);
  if (sum.counts.degraded) parts.push(`${sum.counts.degraded} degraded`);
  if (sum.counts.maintenance) parts.push(`${sum.counts.maintenance} in maintenance`);
  return parts.length ? ` · ${parts.join(', ')}` : '';
}

function order(name) {
  const i = HEALTH_ORDER.indexOf(name);
  return i < 0 ? 99 : i;
}

function levelIcon(level) {
  return statusIcon({healthy: 'up', degraded: 'degraded', critical: 'down'}[level] || 'unknown');
}
