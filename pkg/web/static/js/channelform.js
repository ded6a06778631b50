// Notification channels (GET /channels for viewers; POST, PATCH, DELETE /channels/{id} and
// POST /channels/{id}/test for admins). Each type shows its own settings. Secrets (webhook
// HMAC secret, SMTP password, Slack webhook URL, Telegram bot token) are write-only: the API
// only says which are set (secrets_set), the inputs start empty, and a secret is sent only when
// something was typed into it, so a save never touches the stored one otherwise. A webhook's
// URL credentials, query and header values are write-only too: the URL field shows the public
// URL, the headers field starts empty (its placeholder names the stored headers), and "Remove
// secrets" sends clear_secrets.
import * as api from './api.js';
import {h} from './dom.js';
import {number, onOff, list, pairs} from './editor.js';
import {scopeFields, scopeVals, scopeBody, scopeText} from './scope.js';
import {SEVERITIES} from './ruleform.js';

const TYPES = [['webhook', 'Webhook (HTTP POST)'], ['email', 'Email (SMTP)'], ['slack', 'Slack'], ['telegram', 'Telegram']];
const is = (...types) => (v) => types.includes(v.type);
// SECRETS: form field → the type it belongs to.
const SECRETS = {'secrets.hmac_secret': 'webhook', 'secrets.password': 'email', 'secrets.webhook_url': 'slack', 'secrets.bot_token': 'telegram'};

export function channelSpec(app, canWrite) {
  const fleet = app.fleet;
  return {
    key: 'chan', noun: 'channel', title: 'Notification channels', path: '/channels', listKey: 'channels', canWrite,
    readHint: 'Read only: only admins change notification channels.',
    deleteText: 'Alerts are no longer sent to it; its delivery log stays.',
    label: (c) => c.name,
    columns: [
      ['Name', (c) => c.name],
      ['Type', (c) => c.type],
      ['Sends to', (c) => target(c)],
      ['Severities', (c) => (c.severities && c.severities.length ? c.severities.join(', ') : 'all')],
      ['Devices', (c) => scopeText(c.scope, fleet)],
      ['Secrets set', (c) => (c.secrets_set || []).join(', ') || '—'],
      ['State', (c) => onOff(c.enabled)],
    ],
    fields: [
      {name: 'name', label: 'Name'},
      {name: 'type', label: 'Type', type: 'select', options: TYPES},
      {name: 'config.url', label: 'URL', hint: 'user:password@ and ?query are stored sealed and not shown; kept when left out, dropped when the host changes', show: is('webhook'), wide: true},
      {name: 'config.headers', label: 'Extra headers', hint: 'Name=value; Name2=value2 — values are stored sealed and not shown; a header left out is kept', show: is('webhook')},
      {name: 'secrets.hmac_secret', label: 'HMAC secret (signs the body)', type: 'password', show: is('webhook')},
      {name: 'config.host', label: 'SMTP host', show: is('email')},
      {name: 'config.port', label: 'SMTP port', type: 'number', hint: 'empty: 587 with STARTTLS, else 25', show: is('email')},
      {name: 'config.username', label: 'SMTP user', hint: 'empty: no authentication', show: is('email')},
      {name: 'secrets.password', label: 'SMTP password', type: 'password', show: is('email')},
      {name: 'config.from', label: 'From', show: is('email')},
      {name: 'config.to', label: 'To', hint: 'addresses, comma-separated', show: is('email')},
      {name: 'config.starttls', label: 'Require STARTTLS', type: 'checkbox', show: is('email')},
      {name: 'secrets.webhook_url', label: 'Slack incoming-webhook URL', type: 'password', show: is('slack'), wide: true},
      {name: 'config.chat_id', label: 'Chat id', show: is('telegram')},
      {name: 'secrets.bot_token', label: 'Bot token', type: 'password', show: is('telegram')},
      {name: 'config.api_base', label: 'Bot API base URL', hint: 'empty: https://api.telegram.org', show: is('telegram')},
      {name: 'clear_secrets', label: 'Remove secrets', hint: 'names as in "Secrets set", comma-separated (e.g. header:X-Api-Key)'},
      {name: 'config.tls_skip_verify', label: 'Accept any TLS certificate', type: 'checkbox'},
      {name: 'config.timeout_ms', label: 'Send timeout (ms)', type: 'number', hint: 'empty: 10000'},
      {name: 'severities', label: 'Severities (none ticked: all)', type: 'checks', options: SEVERITIES},
      {name: 'enabled', label: 'Enabled', type: 'checkbox'},
      ...scopeFields('scope', undefined, 'Devices', 'all empty: every device (and system alerts)'),
    ],
    blank: () => ({type: 'webhook', enabled: true, severities: []}),
    fromItem: (c) => {
      const cfg = c.config || {};
      return {name: c.name, type: c.type, enabled: c.enabled, severities: c.severities || [],
        'config.url': cfg.url, 'config.headers': '', 'clear_secrets': '', 'config.host': cfg.host,
        'config.port': cfg.port ? String(cfg.port) : '', 'config.username': cfg.username, 'config.from': cfg.from,
        'config.to': (cfg.to || []).join(', '), 'config.starttls': !!cfg.starttls, 'config.chat_id': cfg.chat_id,
        'config.api_base': cfg.api_base, 'config.tls_skip_verify': !!cfg.tls_skip_verify,
        'config.timeout_ms': cfg.timeout_ms ? String(cfg.timeout_ms) : '', ...scopeVals('scope', c.scope, fleet)};
    },
    toBody: (v) => channelBody(v, fleet),
    // the secret inputs never show a stored value: say whether one is set
    onRefresh: (ed) => {
      const set = ed.item && ed.item.type === ed.values().type ? ed.item.secrets_set || [] : [];
      for (const name of Object.keys(SECRETS)) {
        ed.inputs[name].placeholder = set.includes(name.slice('secrets.'.length)) ? 'set (type to replace)' : 'not set';
      }
      const headers = set.filter((n) => n.startsWith('header:')).map((n) => n.slice('header:'.length));
      ed.inputs['config.headers'].placeholder = headers.length ? `set: ${headers.join(', ')}` : 'none';
    },
    editButtons: (ed) => {
      const out = h('span', {class: 'test-result', id: 'chan-test-result', role: 'status'});
      return [h('button', {class: 'btn', type: 'button', id: 'chan-test', onclick: () => sendTest(ed, out)}, 'Send test'), out];
    },
  };
}

function channelBody(v, fleet) {
  const b = {name: v.name, type: v.type, enabled: v.enabled, severities: v.severities, scope: scopeBody('scope', v, fleet)};
  const cfg = {};
  const text = (k) => { if (v[`config.${k}`]) cfg[k] = v[`config.${k}`]; };
  if (v.type === 'webhook') {
    text('url');
    const hd = pairs(v['config.headers']);
    if (Object.keys(hd).length) cfg.headers = hd;
  } else if (v.type === 'email') {
    ['host', 'username', 'from'].forEach(text);
    const port = number(v, 'config.port', {integer: true});
    if (port !== undefined) cfg.port = port;
    cfg.to = list(v['config.to']);
    cfg.starttls = v['config.starttls'];
  } else if (v.type === 'telegram') {
    ['chat_id', 'api_base'].forEach(text);
  }
  cfg.tls_skip_verify = v['config.tls_skip_verify'];
  const t = number(v, 'config.timeout_ms', {integer: true});
  if (t !== undefined) cfg.timeout_ms = t;
  b.config = cfg;
  // only what was typed; an empty secret keeps the stored one (the API merges them)
  const sec = {};
  for (const [name, type] of Object.entries(SECRETS)) if (type === v.type && v[name]) sec[name.slice('secrets.'.length)] = v[name];
  if (Object.keys(sec).length) b.secrets = sec;
  const clear = list(v.clear_secrets);
  if (clear.length) b.clear_secrets = clear;
  return b;
}

function target(c) {
  const cfg = c.config || {};
  switch (c.type) {
    case 'webhook': return cfg.url || '';
    case 'email': return (cfg.to || []).join(', ');
    case 'telegram': return `chat ${cfg.chat_id || ''}`;
    default: return c.type;
  }
}

async function sendTest(ed, out) {
  out.className = 'test-result muted';
  out.textContent = 'sending…';
  try {
    const {delivery: d} = await api.post(`/channels/${ed.item.id}/test`);
    const ok = d.state === 'delivered';
    out.className = ok ? 'test-result ok-note' : 'test-result error';
    out.textContent = ok ? '✓ test delivered' : `✕ test failed: ${d.last_error || d.state}`;
    out.dataset.state = d.state;
  } catch (e) {
    out.className = 'test-result error';
    out.textContent = `✕ ${e.message}`;
    out.dataset.state = 'error';
  }
}
