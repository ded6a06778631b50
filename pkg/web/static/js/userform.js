// Users and API tokens (admins only, like every /users and /tokens route). A user is created
// with a role and a password; afterwards the role, the disabled flag, the scope and (typed in)
// a new password change. A viewer or operator may be scoped to regions and/or branches (the
// devices in any of them); an admin never is, so the scope fields hide for the admin role and
// the form sends an empty scope with it. A token is created for a user with a role and an expiry; its secret is in
// the create answer only, so it is shown once, and it can be revoked.
import * as api from './api.js';
import {open as dialog} from './dialog.js';
import {h, clear, fmtTime, section} from './dom.js';
import {onOff, list} from './editor.js';

const ROLES = [['viewer', 'viewer (reads)'], ['operator', 'operator (acknowledges, maintenance)'], ['admin', 'admin (everything)']];
const me = () => (api.session.info && api.session.info.user ? api.session.info.user : {});
const scoped = (v) => v.role !== 'admin';

// scopeText sums up a user's scope: "all devices", "regions North; branches BR-1".
function scopeText(sc) {
  const parts = [];
  if (sc && sc.regions && sc.regions.length) parts.push(`regions ${sc.regions.join(', ')}`);
  if (sc && sc.branches && sc.branches.length) parts.push(`branches ${sc.branches.join(', ')}`);
  return parts.length ? parts.join('; ') : 'all devices';
}

export function userSpec() {
  return {
    key: 'user', noun: 'user', title: 'Users', path: '/users', listKey: 'users', canWrite: true,
    deleteText: 'Their sessions end at once. To keep the audit trail readable, disabling is often better.',
    label: (u) => u.username,
    columns: [
      ['User', (u) => (u.id === me().id ? `${u.username} (you)` : u.username)],
      ['Role', (u) => u.role],
      // directory users' role follows their AD groups; two-factor is reset with DELETE /users/{id}/totp
      ['Sign-in', (u) => (u.source === 'ldap' ? 'directory' : u.totp_enabled ? 'local, two-factor' : 'local')],
      ['Scope', (u) => scopeText(u.scope)],
      ['State', (u) => onOff(!u.disabled, 'active', 'disabled')],
      ['Last sign-in', (u) => fmtTime(u.last_login_at) || 'never'],
      ['Password changed', (u) => fmtTime(u.password_changed_at)],
    ],
    fields: [
      {name: 'username', label: 'User name', hint: 'a-z, 0-9, . _ -', lock: true},
      {name: 'role', label: 'Role', type: 'select', options: ROLES},
      {name: 'password', label: 'Password', type: 'password', hint: 'at least 12 characters'},
      {name: 'disabled', label: 'Disabled (cannot sign in)', type: 'checkbox'},
      {name: 'scope:heading', label: 'Scope', hint: 'both empty: every device; otherwise the devices of any region or branch listed', type: 'heading', show: scoped},
      {name: 'scope.regions', label: 'Regions', hint: 'comma-separated', show: scoped},
      {name: 'scope.branches', label: 'Branches', hint: 'comma-separated', show: scoped},
    ],
    blank: () => ({role: 'viewer'}),
    fromItem: (u) => ({username: u.username, role: u.role, disabled: u.disabled, password: '',
      'scope.regions': ((u.scope && u.scope.regions) || []).join(', '), 'scope.branches': ((u.scope && u.scope.branches) || []).join(', ')}),
    toBody: (v, item) => {
      const scope = scoped(v) ? {regions: list(v['scope.regions']), branches: list(v['scope.branches'])} : {};
      if (!item) return {username: v.username, role: v.role, password: v.password, disabled: v.disabled, scope};
      const b = {role: v.role, disabled: v.disabled, scope};
      if (v.password) b.password = v.password;
      return b;
    },
    onRefresh: (ed) => { ed.inputs.password.placeholder = ed.item ? 'leave empty to keep' : ''; },
  };
}

// Tokens is the API-token card of the users tab.
export class Tokens {
  constructor() {
    this.list = h('div', {class: 'table-wrap', id: 'token-list'}, h('p', {class: 'muted'}, 'loading…'));
    this.name = h('input', {id: 'token-name', autocomplete: 'off'});
    this.role = h('select', {id: 'token-role'}, ROLES.map(([v, l]) => h('option', {value: v}, l)));
    this.user = h('select', {id: 'token-user'});
    this.expires = h('input', {id: 'token-expires', type: 'date'});
    // a display token signs a wall screen in: viewer, the wall only, no expiry unless given
    this.purpose = h('select', {id: 'token-purpose', onchange: () => this.purposeChanged()},
      h('option', {value: 'api'}, 'API (scripts, monitoring)'), h('option', {value: 'display'}, 'Display (wall screen sign-in)'));
    this.expiresHint = h('span', {class: 'hint'}, 'empty: the default lifetime');
    this.msg = h('p', {class: 'form-msg', role: 'status', id: 'token-msg'});
    this.secret = h('div', {id: 'token-secret-box', class: 'secret-box', hidden: true});
    const form = h('form', {class: 'form-grid', id: 'token-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); this.create(); }},
      h('label', null, 'Name', this.name), h('label', null, 'Purpose', this.purpose), h('label', null, 'Role', this.role),
      h('label', null, 'For user', this.user), h('label', null, 'Expires', this.expires, this.expiresHint),
      this.msg, h('div', {class: 'row'}, h('button', {class: 'btn primary', type: 'submit', id: 'token-create'}, 'Create token')));
    this.el = section('API tokens', h('p', {class: 'muted'}, 'For scripts and monitoring: sent as "Authorization: Bearer …". A token never has more rights than its role. A display token signs an unattended wall screen in: it shows the wall only, does not expire each shift, and revoking it signs the screen out at once.'),
      this.list, h('h3', {class: 'sub'}, 'New token'), form, this.secret);
  }

  // load reads the tokens; users fill the "for user" choice.
  async load(users) {
    if (users) {
      const mine = me().id;
      clear(this.user).append(...users.filter((u) => !u.disabled).map((u) => h('option', {value: u.id, selected: u.id === mine}, u.username)));
    }
    try {
      const {tokens} = await api.get('/tokens');
      this.render(tokens || []);
    } catch (e) {
      clear(this.list).append(h('p', {class: 'muted'}, `Could not load: ${e.message}`));
    }
  }

  purposeChanged() {
    const display = this.purpose.value === 'display';
    if (display) this.role.value = 'viewer';
    this.role.disabled = display;
    this.expiresHint.textContent = display ? 'empty: never (revoke it by hand)' : 'empty: the default lifetime';
  }

  render(tokens) {
    if (!tokens.length) { clear(this.list).append(h('p', {class: 'muted'}, 'No tokens yet.')); return; }
    const rows = tokens.map((t) => h('tr', {dataset: {id: t.id}},
      h('td', null, t.name, t.purpose === 'display' ? h('span', {class: 'chip small'}, 'display') : null), h('td', null, t.username), h('td', null, t.role), h('td', null, h('code', null, `${t.prefix}…`)),
      h('td', null, t.expires_at ? fmtTime(t.expires_at) : 'never'), h('td', null, fmtTime(t.last_used_at) || 'never'),
      h('td', null, onOff(t.active, 'active', t.revoked_at ? 'revoked' : 'expired')),
      h('td', null, t.active ? h('button', {class: 'btn small danger', type: 'button', dataset: {act: 'revoke'}, onclick: () => this.revoke(t)}, 'Revoke') : null)));
    clear(this.list).append(h('table', {class: 'tbl'}, h('thead', null, h('tr', null,
      ['Name', 'User', 'Role', 'Prefix', 'Expires', 'Last used', 'State', ''].map((c) => h('th', null, c)))), h('tbody', null, rows)));
  }

  async create() {
    for (const el of [this.name, this.role, this.user, this.expires]) el.removeAttribute('aria-invalid');
    const body = {name: this.name.value.trim(), role: this.role.value, user_id: Number(this.user.value) || 0, purpose: this.purpose.value};
    if (this.expires.value) body.expires_at = new Date(`${this.expires.value}T23:59:59`).toISOString().replace('.000Z', 'Z');
    try {
      const res = await api.post('/tokens', body);
      this.name.value = '';
      this.message(`Created token ${res.token.name}.`);
      const display = res.token.purpose === 'display';
      const shown = display ? `${location.origin}/#/wall?display=${res.secret}` : res.secret;
      clear(this.secret).append(h('p', null, h('strong', null, display
        ? 'Open this address on the wall screen (its kiosk start page); copy it now: it is not shown again.'
        : 'Copy this token now: it is not shown again.')),
        h('div', {class: 'row'}, h('code', {id: 'token-secret'}, shown),
          h('button', {class: 'btn small', type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(shown)}, 'Copy'),
          h('button', {class: 'btn small', type: 'button', onclick: () => { clear(this.secret); this.secret.hidden = true; }}, 'Done')));
      this.secret.hidden = false;
      await this.load();
    } catch (e) {
      const el = {name: this.name, role: this.role, user_id: this.user, expires_at: this.expires}[e.field];
      if (el) el.setAttribute('aria-invalid', 'true');
      this.message(e.message, true);
    }
  }

  async revoke(t) {
    const ok = await dialog({title: `Revoke token ${t.name}?`, text: t.purpose === 'display'
      ? 'The wall screen signed in with it is signed out at once.' : 'Scripts using it stop working at once.', okText: 'Revoke',
      action: () => api.del(`/tokens/${t.id}`)});
    if (ok) await this.load();
  }

  message(text, bad) {
    this.msg.textContent = text;
    this.msg.className = bad ? 'form-msg error' : 'form-msg';
  }
}
