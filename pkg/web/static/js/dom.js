// Small DOM helpers shared by every page. No framework: pages build elements with h() and
// update them in place; text always goes through text nodes (never parsed as HTML), so data from
// the API cannot inject markup.

const SVGNS = 'http://www.w3.org/2000/svg';

// h creates an element: h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child…).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// s creates an SVG element with attributes.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear removes every child of el and returns it.
export function clear(el) {
  el.replaceChildren();
  return el;
}

// STATUSES are the API's device statuses; SHOWN adds 'unreachable' (down or unknown behind a
// down ancestor: fleet.state), in the order the overview counts them; WORST ranks them for
// "worst inside".
export const STATUSES = ['up', 'down', 'degraded', 'maintenance', 'unknown'];
export const SHOWN = ['up', 'down', 'unreachable', 'degraded', 'maintenance', 'unknown'];
export const WORST = {up: 1, maintenance: 2, unknown: 3, degraded: 4, unreachable: 5, down: 6};
export const STATUS_TEXT = {up: 'Up', down: 'Down', unreachable: 'Unreachable', degraded: 'Degraded', maintenance: 'Maintenance', unknown: 'Unknown'};

// Icon shapes differ by status (not only colour): check, cross, dash in a diamond (unreachable),
// exclamation, wrench bars, question.
const ICON = {
  up: ['circle', 'M5 8.5l2 2 4-5'],
  down: ['octagon', 'M5.5 5.5l5 5M10.5 5.5l-5 5'],
  unreachable: ['diamond', 'M5 8h6'],
  degraded: ['triangle', 'M8 5.5v3.5M8 11v.5'],
  maintenance: ['square', 'M5 5v6M8 5v6M11 5v6'],
  unknown: ['circle', 'M6.2 6.3a1.9 1.9 0 1 1 2.6 1.8c-.6.3-.8.7-.8 1.3M8 11.3v.2'],
};
const SHAPE = {
  circle: () => s('circle', {cx: 8, cy: 8, r: 7}),
  octagon: () => s('path', {d: 'M5 1h6l4 4v6l-4 4H5l-4-4V5z'}),
  triangle: () => s('path', {d: 'M8 1l7 13H1z'}),
  diamond: () => s('path', {d: 'M8 .8L15.2 8 8 15.2.8 8z'}),
  square: () => s('rect', {x: 1, y: 1, width: 14, height: 14, rx: 2}),
};

const iconProto = {};
const badgeProto = {};

// statusIcon is an SVG icon whose shape and colour both tell the status. Icons and badges are
// cloned from one prototype per status: a 10,000-device overview draws thousands of them.
export function statusIcon(status) {
  const st = ICON[status] ? status : 'unknown';
  if (!iconProto[st]) iconProto[st] = makeIcon(st);
  return iconProto[st].cloneNode(true);
}

function makeIcon(st) {
  const [shape, mark] = ICON[st];
  const bg = SHAPE[shape]();
  bg.setAttribute('class', 'ic-bg');
  return s('svg', {class: `icon st-${st}`, viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false'},
    bg, s('path', {class: 'ic-mark', d: mark}));
}

// statusBadge is icon + text in the status colour.
export function statusBadge(status) {
  const st = STATUS_TEXT[status] ? status : 'unknown';
  if (!badgeProto[st]) badgeProto[st] = h('span', {class: `badge st-${st}`, dataset: {status: st}}, statusIcon(st), h('span', {class: 'badge-text'}, STATUS_TEXT[st]));
  return badgeProto[st].cloneNode(true);
}

// setBadge changes a badge made by statusBadge in place.
export function setBadge(el, status) {
  el.replaceWith(statusBadge(status));
}

const dtf = new Intl.DateTimeFormat(undefined, {year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'});

// fmtTime formats an RFC 3339 string or ms in the browser's zone; '' for none.
export function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '';
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  return isNaN(d) ? '' : dtf.format(d);
}

// ago is "12 s ago", "5 min ago", "3 h ago", "2 d ago".
export function ago(t, now = Date.now()) {
  if (!t) return '';
  const ms = now - (typeof t === 'number' ? t : Date.parse(t));
  if (isNaN(ms)) return '';
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 90) return `${sec} s ago`;
  if (sec < 5400) return `${Math.round(sec / 60)} min ago`;
  if (sec < 172800) return `${Math.round(sec / 3600)} h ago`;
  return `${Math.round(sec / 86400)} d ago`;
}

// duration is "45 s", "12 min", "3 h 5 min", "2 d 4 h".
export function duration(sec) {
  sec = Math.round(sec);
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.round(sec / 60)} min`;
  if (sec < 86400) return `${Math.floor(sec / 3600)} h ${Math.round((sec % 3600) / 60)} min`;
  return `${Math.floor(sec / 86400)} d ${Math.round((sec % 86400) / 3600)} h`;
}

// num formats a number with at most digits decimals; '–' for null.
export function num(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return Number(v).toLocaleString(undefined, {maximumFractionDigits: digits});
}

// fmtValue formats a value in a series unit.
export function fmtValue(v, unit) {
  if (v === null || v === undefined) return '–';
  switch (unit) {
    case 'ms': return `${num(v, v < 10 ? 2 : 1)} ms`;
    case 'percent': return `${num(v, 1)} %`;
    case 'bps': return bps(v);
    default: return num(v, 2);
  }
}

function bps(v) {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${num(v, v < 10 ? 2 : 1)} ${units[i]}`;
}

// debounce runs fn at most once per ms, after the last call.
export function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// parseHash splits "#/devices/12?status=down" into {parts: ['devices','12'], query}.
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [p, q] = raw.split('?');
  return {parts: p.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q || '')};
}

// errorBox shows an error message in place of content.
export function errorBox(msg) {
  return h('p', {class: 'error', role: 'alert'}, msg);
}

// section is a titled card.
export function section(title, ...children) {
  return h('section', {class: 'card'}, h('h2', null, title), ...children);
}

// markRendered records the benchmark's mark once per page load (bench:ui): the page is drawn
// with its data loaded and the live stream open.
export function markRendered() {
  if (document.body.dataset.rendered) return;
  performance.mark('wardops-rendered');
  document.body.dataset.rendered = '1';
}
