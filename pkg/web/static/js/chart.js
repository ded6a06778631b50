// Time-series charts drawn as SVG by this file: lines (or an area) over a time axis with
// "nice" value ticks, gaps where samples are missing, and a hover read-out of every series at
// the nearest time. The API returns about 300 points per series, which SVG paths draw in
// well under a millisecond; see docs/DASHBOARD.md for why no chart library is bundled.
import {s, h, fmtValue, fmtTime} from './dom.js';

const H = 190;
const PAD = {l: 64, r: 12, t: 10, b: 24};
const COLORS = ['#2f7ed8', '#e8743b', '#19a979', '#945ecf', '#ed4a7b', '#13a4b4'];

// lineChart draws series [{name, points:[[ms, v]…]}] of one unit into container between from
// and to (ms). stepMs breaks a line where samples are further apart than two steps.
export function lineChart(container, {series, unit, from, to, stepMs = 0, area = false, title = ''}) {
  const width = Math.max(320, container.clientWidth || 640);
  const pts = series.flatMap((x) => x.points);
  const max = niceMax(pts.reduce((m, p) => Math.max(m, p[1]), 0), unit);
  const x = (t) => PAD.l + ((t - from) / (to - from)) * (width - PAD.l - PAD.r);
  const y = (v) => PAD.t + (1 - v / max) * (H - PAD.t - PAD.b);
  const svg = s('svg', {class: 'chart', viewBox: `0 0 ${width} ${H}`, width, height: H, role: 'img',
    'aria-label': `${title}: ${pts.length} points`, 'data-points': pts.length});
  svg.append(grid(width, max, unit, y), timeAxis(from, to, x));
  series.forEach((ser, i) => {
    const color = ser.color || COLORS[i % COLORS.length];
    const segs = segments(ser.points, stepMs);
    const line = (seg) => seg.map(([t, v], j) => `${j ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (area) {
      const d = segs.map((seg) => `${line(seg)}L${x(seg[seg.length - 1][0]).toFixed(1)},${y(0)}L${x(seg[0][0]).toFixed(1)},${y(0)}Z`).join('');
      if (d) svg.append(s('path', {d, class: 'chart-area', fill: color}));
    }
    svg.append(s('path', {d: segs.map(line).join(''), class: 'chart-line', stroke: color, dataset: {series: ser.name}}));
    // a sample with no neighbour draws no line: show it as a dot
    for (const seg of segs) if (seg.length === 1) svg.append(s('circle', {cx: x(seg[0][0]), cy: y(seg[0][1]), r: 2, class: 'chart-point', fill: color}));
  });
  if (pts.length === 0) svg.append(s('text', {x: width / 2, y: H / 2, class: 'chart-empty', 'text-anchor': 'middle'}, 'no data in this range'));
  const legend = series.length > 1 ? h('div', {class: 'legend'}, series.map((ser, i) =>
    h('span', {class: 'legend-item'}, swatch(ser.color || COLORS[i % COLORS.length]), ser.name))) : null;
  const wrap = h('div', {class: 'chart-wrap'}, svg, legend);
  hover(svg, series, {x, y, unit, from, to, width});
  container.replaceChildren(wrap);
  return svg;
}

function swatch(color) {
  return s('svg', {class: 'swatch', viewBox: '0 0 10 10', width: 10, height: 10}, s('rect', {width: 10, height: 10, fill: color}));
}

// segments splits points where samples are missing (more than 2.5 steps apart).
function segments(points, stepMs) {
  const out = [];
  let cur = null, prev = null;
  for (const p of points) {
    if (cur === null || (stepMs > 0 && p[0] - prev > 2.5 * stepMs)) out.push(cur = []);
    cur.push(p);
    prev = p[0];
  }
  return out;
}

// niceMax rounds the top of the scale up to 1, 2 or 5 × 10^n (percent charts stop at 100).
function niceMax(v, unit) {
  if (unit === 'percent') return v <= 0 ? 100 : Math.min(100, niceCeil(v * 1.1));
  return v <= 0 ? 1 : niceCeil(v * 1.1);
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function grid(width, max, unit, y) {
  const g = s('g', {class: 'chart-grid'});
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    g.append(s('line', {x1: PAD.l, x2: width - PAD.r, y1: y(v), y2: y(v)}),
      s('text', {x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end'}, fmtValue(v, unit)));
  }
  return g;
}

function timeAxis(from, to, x) {
  const g = s('g', {class: 'chart-axis'});
  const span = to - from;
  const long = span > 2 * 86400000;
  const fmt = new Intl.DateTimeFormat(undefined, long ? {month: 'short', day: 'numeric'} : {hour: '2-digit', minute: '2-digit'});
  for (let i = 0; i <= 5; i++) {
    const t = from + (span * i) / 5;
    g.append(s('text', {x: x(t), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle'}, fmt.format(new Date(t))));
  }
  return g;
}

// hover shows a cursor line, a dot per series and the values at the nearest time.
function hover(svg, series, {x, y, unit, from, to, width}) {
  const cursor = s('line', {class: 'chart-cursor', y1: PAD.t, y2: H - PAD.b, visibility: 'hidden'});
  const dots = series.map(() => s('circle', {r: 3.5, class: 'chart-dot', visibility: 'hidden'}));
  svg.append(cursor, ...dots);
  const tip = document.getElementById('tooltip');
  svg.addEventListener('mousemove', (e) => {
    const rect = svg.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * width;
    const t = from + ((px - PAD.l) / (width - PAD.l - PAD.r)) * (to - from);
    const lines = [];
    let shownT = null;
    series.forEach((ser, i) => {
      const p = nearest(ser.points, t);
      dots[i].setAttribute('visibility', p ? 'visible' : 'hidden');
      if (!p) return;
      dots[i].setAttribute('cx', x(p[0]));
      dots[i].setAttribute('cy', y(p[1]));
      shownT = shownT ?? p[0];
      lines.push(`${series.length > 1 ? ser.name + ': ' : ''}${fmtValue(p[1], unit)}`);
    });
    if (shownT === null) { hide(); return; }
    cursor.setAttribute('x1', x(shownT));
    cursor.setAttribute('x2', x(shownT));
    cursor.setAttribute('visibility', 'visible');
    tip.replaceChildren(h('b', null, fmtTime(shownT)), ...lines.map((l) => h('div', null, l)));
    tip.hidden = false;
    tip.style.left = `${Math.min(e.clientX + 14, window.innerWidth - 220)}px`;
    tip.style.top = `${e.clientY + 14}px`;
  });
  const hide = () => {
    tip.hidden = true;
    cursor.setAttribute('visibility', 'hidden');
    dots.forEach((d) => d.setAttribute('visibility', 'hidden'));
  };
  svg.addEventListener('mouseleave', hide);
}

// nearest finds the point closest in time to t by binary search.
export function nearest(points, t) {
  if (!points.length) return null;
  let lo = 0, hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < t) lo = mid; else hi = mid;
  }
  return Math.abs(points[lo][0] - t) <= Math.abs(points[hi][0] - t) ? points[lo] : points[hi];
}
