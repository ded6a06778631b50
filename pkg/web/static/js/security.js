// The signed-in user's account page: how they sign in, and two-factor enrolment (local
// accounts). Enrolment shows the QR code and the secret, checks one code, then shows the ten
// recovery codes once.
import * as api from './api.js';
import {h, clear, errorBox} from './dom.js';

export async function mount(view) {
  const page = new SecurityPage(view);
  page.render();
  return page;
}

class SecurityPage {
  constructor(view) {
    this.body = h('div', {class: 'card security-card'});
    view.append(h('div', {class: 'security-page'}, h('div', {class: 'page-head'}, h('h1', null, 'Sign-in security')), this.body));
  }

  unmount() {}

  info() { return api.session.info || {user: {}}; }

  render() {
    const {user, totp_enrollment_required: must} = this.info();
    clear(this.body).append(h('p', null, `Signed in as ${user.username} (${user.role}).`));
    if (user.source === 'ldap') {
      this.body.append(h('p', {class: 'muted'}, 'You sign in with your directory (Active Directory) account; ' +
        'its password and second factor are managed there. Your role follows your directory groups.'));
      return;
    }
    if (must) {
      this.body.append(h('p', {class: 'error', role: 'alert'}, 'Administrators must set up two-factor sign-in before using WardOps.'));
    }
    if (user.totp_enabled) {
      this.body.append(h('p', null, h('strong', null, 'Two-factor sign-in is on.'),
        ' Lost your device? Sign in with a recovery code, or ask an administrator to reset two-factor.'));
      return;
    }
    this.body.append(h('p', {class: 'muted'}, 'Two-factor sign-in asks for a code from an authenticator app ' +
      '(e.g. FreeOTP, Google Authenticator, Microsoft Authenticator) after your password.'),
    h('button', {class: 'btn primary', type: 'button', id: 'totp-start', onclick: () => this.start()}, 'Set up two-factor sign-in'));
  }

  async start() {
    let e;
    try {
      e = await api.totp.enroll();
    } catch (err) {
      this.body.append(errorBox(`Could not start: ${err.message}`));
      return;
    }
    const code = h('input', {id: 'totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, required: true});
    const msg = h('p', {class: 'error', role: 'alert', hidden: true});
    const form = h('form', {class: 'totp-confirm', onsubmit: (ev) => { ev.preventDefault(); this.confirm(code.value, msg); }},
      h('label', null, 'Code from the app ', code), msg,
      h('button', {class: 'btn primary', type: 'submit'}, 'Turn on two-factor'));
    clear(this.body).append(
      h('h2', null, '1. Scan this code with your authenticator app'),
      h('img', {id: 'totp-qr', class: 'totp-qr', src: e.qr_png, width: 256, height: 256, alt: 'QR code of the two-factor secret'}),
      h('p', {class: 'muted'}, 'Cannot scan? Enter this key by hand:'),
      h('div', {class: 'secret-box'}, h('code', {id: 'totp-secret'}, e.secret.replace(/(.{4})/g, '$1 ').trim())),
      h('h2', null, '2. Enter the code it shows'), form);
    code.focus();
  }

  async confirm(code, msg) {
    let ans;
    try {
      ans = await api.totp.confirm(code.trim());
    } catch (err) {
      msg.hidden = false;
      msg.textContent = err.message;
      return;
    }
    if (api.session.info) {
      api.session.info.user.totp_enabled = true;
      delete api.session.info.totp_enrollment_required;
    }
    clear(this.body).append(
      h('p', null, h('strong', null, 'Two-factor sign-in is on.')),
      h('h2', null, 'Recovery codes'),
      h('p', {class: 'error'}, 'Save these now: they are shown only this once. Each one signs you in once if you lose your device.'),
      h('ol', {id: 'recovery-codes', class: 'recovery-codes'}, ans.recovery_codes.map((c) => h('li', null, h('code', null, c)))),
      h('button', {class: 'btn primary', type: 'button', onclick: () => { location.hash = '#/'; location.reload(); }}, 'I have saved them'));
  }
}
