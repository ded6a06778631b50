// The REST client: every request of the dashboard goes through here. It sends the session's
// CSRF token on writes (X-CSRF-Token), turns error answers into ApiError, and tells the app
// when the session is gone (401) so that it shows the sign-in form.

const BASE = '/api/v1';

// session is what GET /auth/me said: {user:{username, role}, csrf_token} or null. auth is
// 'on' (the API has sign-in), 'off' (it has none: /auth/me does not exist) or 'unknown'.
export const session = {info: null, auth: 'unknown', onUnauthorized: () => {}};

// ApiError carries the HTTP status and the API's {"error":{code,message,field}} (and, for a
// CSV import, its line errors).
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
    this.body = body;
  }
}

function csrfToken() {
  if (session.info && session.info.csrf_token) return session.info.csrf_token;
  const m = document.cookie.match(/(?:^|;\s*)wardops_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

// headers for a request of method with an optional content type. GETs carry none, so that a
// fetch matches the <link rel=preload> of index.html and takes its answer.
export function writeHeaders(method, contentType) {
  const hd = {};
  if (contentType) hd['Content-Type'] = contentType;
  if (method !== 'GET' && method !== 'HEAD') {
    const t = csrfToken();
    if (t) hd['X-CSRF-Token'] = t;
  }
  return hd;
}

// request sends method path (relative to /api/v1) with an optional JSON body and returns the
// decoded answer (null for 204).
export async function request(method, path, body, opts = {}) {
  const init = {method, headers: writeHeaders(method, body === undefined ? '' : 'application/json'),
    credentials: 'same-origin', signal: opts.signal};
  if (body !== undefined) init.body = JSON.stringify(body);
  const resp = await fetch(BASE + path, init);
  return decode(resp, opts);
}

async function decode(resp, opts) {
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = {error: {message: text.slice(0, 200)}}; }
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (resp.status === 401 && !opts.quiet401) session.onUnauthorized(err);
    throw err;
  }
  if (opts.onResponse) opts.onResponse(resp, data);
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);
export const put = (path, body) => request('PUT', path, body);

// qs builds "?a=1&b=2" from an object, leaving out empty values.
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

// whoAmI asks who is signed in: sets session and returns 'ok', 'login' (401) or 'off' (no auth).
export async function whoAmI() {
  try {
    session.info = await get('/auth/me', {quiet401: true});
    session.auth = 'on';
    return 'ok';
  } catch (e) {
    if (e.status === 401) { session.auth = 'on'; session.info = null; return 'login'; }
    if (e.status === 404 || e.status === 405) { session.auth = 'off'; session.info = null; return 'off'; }
    throw e;
  }
}

// login sends the password. It returns the session, or {mfa_required, mfa_token} when
// two-factor is on: then loginCode finishes the sign-in.
export async function login(username, password) {
  const ans = await post('/auth/login', {username, password}, {quiet401: true});
  session.auth = 'on';
  if (ans && ans.mfa_required) return ans;
  session.info = ans;
  return session.info;
}

// displayLogin signs a wall screen in with a display token (POST /auth/display): the session
// shows the wall only and does not expire each shift.
export async function displayLogin(token) {
  session.info = await post('/auth/display', {token}, {quiet401: true});
  session.auth = 'on';
  return session.info;
}

// isDisplay tells whether this is a wall screen signed in with a display token.
export const isDisplay = () => !!(session.info && session.info.display);

// loginCode is the second step: a TOTP code, or a recovery code when recovery is true.
export async function loginCode(token, code, recovery) {
  const body = recovery ? {mfa_token: token, recovery_code: code} : {mfa_token: token, code};
  session.info = await post('/auth/login/totp', body, {quiet401: true});
  return session.info;
}

// Two-factor enrolment of the signed-in user.
export const totp = {
  enroll: () => post('/auth/totp/enroll', {}),
  confirm: (code) => post('/auth/totp/confirm', {code}),
  reset: (userID) => del(`/users/${userID}/totp`),
};
// methods lists the sign-in methods on offer: {methods: ['password', 'oidc'], oidc_login_url}.
export const methods = () => get('/auth/methods', {quiet401: true});

export async function logout() {
  try { await post('/auth/logout'); } finally { session.info = null; }
}

// can tells whether the signed-in user has at least role (viewer < operator < admin). Without
// sign-in (auth off) the API decides, so everything is shown.
export function can(role) {
  if (session.auth !== 'on') return true;
  const rank = {viewer: 1, operator: 2, admin: 3};
  const have = session.info && session.info.user ? rank[session.info.user.role] || 0 : 0;
  return have >= rank[role];
}

// Device and fleet endpoints.
export const devices = {
  // all resolves to the standalone list; its age_s is the HTTP Age of the answer (the API
  // serves it from a cache up to 30 s old while it builds a newer one).
  all: (opts = {}) => get('/devices/standalone/list', {...opts, onResponse: (resp, data) => {
    if (data && typeof data === 'object') data.age_s = Number(resp.headers.get('Age')) || 0;
  }}),
  one: (id) => get(`/devices/${id}`),
  create: (body) => post('/devices', body),
  update: (id, body) => patch(`/devices/${id}`, body),
  remove: (id) => del(`/devices/${id}`),
  events: (id, limit = 100) => get(`/devices/${id}/events${qs({limit})}`),
  series: (id, metric, range, iface) => get(`/devices/${id}/series${qs({metric, range, interface: iface})}`),
  ping: (id) => post(`/devices/${id}/ping`),
  interfaces: (id) => get(`/devices/${id}/interfaces`),
  setInterfaceRole: (id, ifIndex, role) => put(`/devices/${id}/interfaces/${ifIndex}/role`, {role}),
  search: (q, limit = 20) => get(`/devices${qs({q, limit})}`),
};

export const task = (queue, id) => get(`/tasks/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`);
export const health = (opts) => request('GET', '/health', undefined, opts).catch((e) => {
  if (e.status === 503 && e.body && e.body.components) return e.body; // critical still has the document
  throw e;
});
export const availability = (range) => get(`/reports/availability${qs({range})}`);
export const availabilityCSV = (range, table) => `${BASE}/reports/availability${qs({range, table, format: 'csv'})}`;

// importCSV uploads a CSV file with XHR (fetch cannot report upload progress), calling
// onProgress(fraction). It resolves with the answer or rejects with ApiError (422: line errors).
export function importCSV(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${BASE}/devices/import`);
    for (const [k, v] of Object.entries(writeHeaders('POST', 'text/csv'))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = {error: {message: xhr.responseText.slice(0, 200)}}; }
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(data); return; }
      const err = new ApiError(xhr.status, data);
      if (xhr.status === 401) session.onUnauthorized(err);
      reject(err);
    };
    xhr.onerror = () => reject(new ApiError(0, {error: {message: 'network error: the API did not answer'}}));
    xhr.send(file);
  });
}

// exists tells whether GET path answers anything but 404/405 (an optional API is wired).
export async function exists(path) {
  try { await get(path, {quiet401: true}); return true; } catch (e) { return e.status !== 404 && e.status !== 405 && e.status !== 0; }
}
