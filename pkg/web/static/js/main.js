// Boot and routing. Pages are addressed by the URL fragment (#/devices/12) so that the API
// serves one shell at "/". The overview module is preloaded; the other pages load on first use.
import * as api from './api.js';
import * as problems from './problems.js';
import {Fleet} from './fleet.js';
import {Live} from './live.js';
import {clear, parseHash, errorBox} from './dom.js';
import * as overview from './overview.js';

const PAGES = {
  '': () => Promise.resolve(overview),
  wall: () => Promise.resolve(overview),
  devices: () => import('./devices.js'),
  device: () => import('./device.js'),
  alerts: () => import('./alerts.js'),
  reports: () => import('./reports.js'),
  admin: () => import('./admin.js'),
  security: () => import('./security.js'),
};

// EARLY_MS: answers asked for at boot are taken by pages drawn within this time of it.
const EARLY_MS = 10000;

const app = {
  // takeEarly returns the answer of a request made at boot, once, or null: only while the
  // first page is drawn (a page opened later must not take an answer from long ago).
  takeEarly(name) {
    const p = this.earlyData && this.earlyData[name];
    if (p) delete this.earlyData[name];
    return p && performance.now() < EARLY_MS ? p : null;
  },
  fleet: new Fleet(),
  live: null,
  page: null,
  alertListeners: new Set(),
  started: false,
};

const view = document.getElementById('view');

function liveState(state) {
  const el = document.getElementById('live');
  el.dataset.state = state;
  el.textContent = {live: '● live', connecting: 'connecting…', reconnecting: '◌ reconnecting…', offline: '✕ offline, retrying'}[state] || state;
  el.title = state === 'live' ? 'Receiving live updates' : 'Live updates interrupted; the page reconnects by itself';
}

function onEvent(ev) {
  if (ev.type === 'status' && ev.data) {
    if (!app.fleet.applyStatus(ev.data)) reloadSoon();
  } else if (ev.type === 'alert') {
    for (const fn of app.alertListeners) fn(ev.data);
  }
}

let reloadTimer = 0;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => app.fleet.load().catch(() => {}), 500);
}

// startLive opens the event stream (once), or reopens one that onLiveEnd stopped.
function startLive() {
  if (app.live) {
    if (!app.live.es) app.live.start(); // reopened after a sign-in: it reloads what it shows
    return;
  }
  app.live = new Live({onEvent, onState: liveState, onReconnect: reloadSoon, onEnd: onLiveEnd});
  app.live.start();
}

// onLiveEnd: the API ended the stream because its credential ended (revoked, signed out,
// expired). Signed out: show the sign-in form (signedIn() restarts the stream); otherwise (a
// token, or no sign-in at all) reconnect.
async function onLiveEnd() {
  // the end can overtake the answer that carries a new session cookie (changing one's own
  // password ends every session and starts a new one): give that answer a moment to land
  await new Promise((resolve) => setTimeout(resolve, 700));
  let who;
  try { who = await api.whoAmI(); } catch { who = 'error'; }
  if (who === 'login') {
    if (app.live) app.live.stop();
    showLogin(endedMessage());
  } else if (app.live) {
    app.live.start();
  }
}

// start loads the fleet and opens the live stream once signed in (or when there is no sign-in).
function start() {
  if (app.started) return;
  app.started = true;
  startLive();
  app.fleetReady = app.fleet.load(app.early);
  app.early = null;
  app.fleetReady.catch(() => {});
  // metrics (RTT, loss) are not pushed live: refresh them on the ping cadence
  setInterval(() => { if (!document.hidden) app.fleet.load().catch(() => {}); }, 30000);
  route();
}

// routeSeq numbers route() calls: a page module that loads after a newer route began is not
// mounted (sign-in routes twice in quick succession, which mounted the page twice).
let routeSeq = 0;

async function route() {
  const seq = ++routeSeq;
  const {parts, query} = parseHash();
  let name = parts[0] || '';
  if (mustEnrol() && name !== 'security') { location.hash = '#/security'; return; }
  if (api.isDisplay() && name !== 'wall') { location.hash = '#/wall'; return; } // a display token shows the wall only
  if (name === 'devices' && parts[1]) name = 'device';
  document.body.classList.toggle('wall', name === 'wall');
  document.getElementById('tooltip').hidden = true;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === (name === 'device' ? 'devices' : name || 'overview'));
  const load = PAGES[name];
  if (app.page && app.page.unmount) app.page.unmount();
  app.page = null;
  clear(view);
  if (!load) { view.append(errorBox(`No page "${name}".`)); return; }
  try {
    const mod = await load();
    if (seq !== routeSeq) return;
    app.page = await mod.mount(view, {app, parts, query, wall: name === 'wall'});
  } catch (e) {
    clear(view).append(errorBox(`This page failed to load: ${e.message}`));
  }
}

function showLogin(msg) {
  const box = document.getElementById('login');
  box.hidden = false;
  document.body.classList.add('signed-out');
  const err = document.getElementById('login-error');
  err.hidden = !msg;
  err.textContent = msg || '';
  document.getElementById('login-user').focus();
  offerSSO();
}

// offerSSO shows "Sign in with SSO" when the API has single sign-on configured (asked once).
let ssoAsked = false;
async function offerSSO() {
  if (ssoAsked) return;
  ssoAsked = true;
  try {
    const m = await api.methods();
    if (!m.methods.includes('oidc')) return;
    document.getElementById('login-sso-link').href = m.oidc_login_url;
    document.getElementById('login-sso').hidden = false;
  } catch { ssoAsked = false; } // the API is down: ask again at the next sign-in form
}

// mustEnrol: this session may only set up two-factor (WARDOPS_REQUIRE_TOTP_ADMINS).
function mustEnrol() { return !!(api.session.info && api.session.info.totp_enrollment_required); }

function signedIn() {
  document.getElementById('login').hidden = true;
  document.getElementById('login-form').hidden = false;
  document.getElementById('login-code-form').hidden = true;
  document.body.classList.remove('signed-out');
  const who = document.getElementById('who');
  const out = document.getElementById('logout');
  const info = api.session.info;
  who.hidden = out.hidden = !info;
  if (info) {
    // a scoped user sees part of the fleet: say which, so an empty list is not mistaken for an outage
    const sc = info.user.scope || {};
    const parts = [...(sc.regions || []).map((r) => `region ${r}`), ...(sc.branches || []).map((b) => `branch ${b}`)];
    who.textContent = `${info.user.username} (${info.user.role}${parts.length ? ` · ${parts.join(', ')}` : ''})`;
  }
  for (const a of document.querySelectorAll('[data-role]')) a.hidden = !api.can(a.dataset.role);
  document.body.classList.toggle('display', api.isDisplay());
  wasDisplay = api.isDisplay();
  if (mustEnrol()) { // nothing else answers until two-factor is set up (live events neither)
    if (app.live) { app.live.stop(); app.live = null; }
    document.getElementById('live').hidden = true;
    location.hash = '#/security';
    route();
    return;
  }
  start();
  startLive(); // again after a session ended under an open page (start() runs once)
}

async function onLogin(e) {
  e.preventDefault();
  const user = document.getElementById('login-user').value;
  const pass = document.getElementById('login-pass');
  try {
    const ans = await api.login(user, pass.value);
    pass.value = '';
    if (ans && ans.mfa_required) { showCodeStep(ans.mfa_token); return; }
    signedIn();
    if (app.started) route();
  } catch (err) {
    showLogin(err.status === 401 ? 'Wrong user name or password.' : err.message);
  }
}

// The second sign-in step: a TOTP code, or a recovery code.
const codeStep = {token: '', recovery: false};

function showCodeStep(token, msg) {
  if (token) codeStep.token = token;
  document.getElementById('login-form').hidden = true;
  document.getElementById('login-code-form').hidden = false;
  const r = codeStep.recovery;
  document.getElementById('login-code-hint').textContent = r ? 'Enter one of your recovery codes (each works once).'
    : 'Enter the 6-digit code from your authenticator app.';
  document.getElementById('login-code-label').firstChild.textContent = r ? 'Recovery code ' : 'Code ';
  const input = document.getElementById('login-code');
  input.inputMode = r ? 'text' : 'numeric';
  document.getElementById('login-code-switch').textContent = r ? 'Use the authenticator app instead' : 'Use a recovery code instead';
  const err = document.getElementById('login-code-error');
  err.hidden = !msg;
  err.textContent = msg || '';
  input.focus();
}

async function onLoginCode(e) {
  e.preventDefault();
  const input = document.getElementById('login-code');
  try {
    await api.loginCode(codeStep.token, input.value.trim(), codeStep.recovery);
    input.value = '';
    signedIn();
    if (app.started) route();
  } catch (err) {
    input.value = '';
    if (err.code === 'mfa_expired') { backToPassword(err.message); return; }
    showCodeStep('', err.status === 401 ? 'Wrong or already used code.' : err.message);
  }
}

function backToPassword(msg) {
  codeStep.token = '';
  codeStep.recovery = false;
  document.getElementById('login-code-form').hidden = true;
  document.getElementById('login-form').hidden = false;
  showLogin(msg);
}

async function onLogout() {
  await api.logout().catch(() => {});
  location.reload();
}

// displaySignIn signs a room screen in when its address carries a display token
// (#/wall?display=wdo_…, docs/DASHBOARD.md "Display sign-in"): the secret leaves the address
// bar at once; the kiosk keeps its start address, so a restarted screen signs in again. It
// returns false when the address has no token, or shows why the token was refused.
async function displaySignIn() {
  const {query} = parseHash();
  const secret = query && query.get('display');
  if (!secret) return false;
  history.replaceState(null, '', `#/wall${query.get('sound') === '1' ? '?sound=1' : ''}`);
  try {
    await api.displayLogin(secret);
    return true;
  } catch (e) {
    showLogin(e.status === 401 ? 'This wall link\'s display token is not valid: it was revoked, has expired or is mistyped. Ask an admin for a new one.' : `Display sign-in failed: ${e.message}`);
    return null;
  }
}

// wasDisplay: this page was a wall screen signed in with a display token (the session is gone
// by the time its end is noticed, so remember it).
let wasDisplay = false;
function endedMessage() {
  return wasDisplay ? 'This wall screen was signed out: its display token was revoked or has expired. Ask an admin for a new wall link.'
    : 'Your session has ended; please sign in again.';
}

async function boot() {
  const display = await displaySignIn().catch(() => null);
  if (display === null) return;
  // the page's <link rel=preload> of the standalone list went out before this sign-in and
  // holds its 401: take that answer off the preload cache so the fleet is asked afresh
  if (display) await api.devices.all({quiet401: true}).catch(() => {});
  // ask for the fleet (and the overview's other data) while the sign-in is checked: one round
  // trip less for a signed-in user; pages take these answers once (app.takeEarly)
  app.early = api.devices.all({quiet401: true});
  app.early.catch(() => {});
  // the problem list as index.html preloads it (problems.FIRST): taken by the overview, the wall
  // and the alerts page
  const first = !location.hash || location.hash === '#/' || location.hash === '#/wall';
  if (first || location.hash.startsWith('#/alerts')) {
    app.earlyData = {problems: problems.load(problems.FIRST, {quiet401: true})};
    if (first) app.earlyData.health = api.health({quiet401: true});
    // the alerts page's own requests (its page of the list, the open incidents) go out as soon
    // as its module is in, while the sign-in is checked, not after it and the route
    if (!first) app.earlyData.alertsPage = PAGES.alerts().then((m) => m.prefetch(parseHash().query, {quiet401: true}));
    for (const p of Object.values(app.earlyData)) p.catch(() => {});
  }
  if (document.cookie.includes('wardops_csrf=')) startLive(); // probably signed in: connect now
  let who;
  try {
    who = await api.whoAmI();
  } catch (e) {
    clear(view).append(errorBox(`The API is not answering (${e.message}). Retrying…`));
    setTimeout(boot, 3000);
    return;
  }
  if (who === 'login') {
    app.early = app.earlyData = null;
    if (app.live) { app.live.stop(); app.live = null; }
    showLogin();
  } else signedIn();
}

api.session.onUnauthorized = () => showLogin(endedMessage());
document.getElementById('login-form').addEventListener('submit', onLogin);
document.getElementById('login-code-form').addEventListener('submit', onLoginCode);
document.getElementById('login-code-switch').addEventListener('click', () => { codeStep.recovery = !codeStep.recovery; showCodeStep(); });
document.getElementById('login-code-back').addEventListener('click', () => backToPassword());
document.getElementById('logout').addEventListener('click', onLogout);
window.addEventListener('hashchange', () => { if (app.started || mustEnrol()) route(); });
boot();
