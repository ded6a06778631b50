// Admin, in tabs (#/admin/<tab>?edit=<id>): devices (create, edit, delete; CSV import with an
// upload progress bar and the API's line-numbered errors, all or nothing), alert rules,
// maintenance windows, notification channels, regions & branches and monitoring profiles
// (placeform.js), the periodic schedule (schedule.js), users with their API tokens, and the audit log;
// a link to /monitoring. Each tab is shown to the roles that may read it and is editable for
// the roles the API lets write it (docs/SECURITY.md): maintenance for operators, the rest for
// admins. Lists and forms of the four configuration tabs are Editors (editor.js).
import * as api from './api.js';
import {open as dialog} from './dialog.js';
import {h, clear, errorBox, section, num} from './dom.js';
import {table} from './reports.js';
import {Editor} from './editor.js';
import {ruleSpec} from './ruleform.js';
import {windowSpec, zoneList} from './windowform.js';
import {channelSpec} from './channelform.js';
import {userSpec, Tokens} from './userform.js';
import {profileSpec, regionSpec, branchSpec, placesNote} from './placeform.js';
import {scheduleTab} from './schedule.js';

const FIELDS = [['name', 'Name', true], ['ip', 'IP address', true], ['branch', 'Branch'], ['region', 'Region'],
  ['type', 'Type'], ['vendor', 'Vendor'], ['parent_id', 'Parent device id'], ['labels', 'Labels (k=v;k2=v2)']];

// TABS: [name, title, the role that may see it]. Rules, maintenance, channels, places and
// profiles are readable by every role; devices (a form), users, tokens and the audit log are the admins'.
const TABS = [['devices', 'Devices', 'admin'], ['rules', 'Alert rules', 'viewer'], ['maintenance', 'Maintenance', 'viewer'],
  ['channels', 'Channels', 'viewer'],
  ['places', 'Regions & branches', 'viewer'], ['profiles', 'Profiles', 'viewer'], ['schedule', 'Schedule', 'viewer'], ['users', 'Users & tokens', 'admin'], ['audit', 'Audit log', 'admin']];

export async function mount(view, {app, parts, query}) {
  const tabs = TABS.filter(([, , role]) => api.can(role));
  const tab = parts[1] || (tabs[0] || TABS[1])[0];
  const edit = Number(query.get('edit')) || 0;
  const body = h('div', {id: 'admin-tab', dataset: {tab}});
  view.append(h('div', {class: 'admin-page'}, h('div', {class: 'page-head'}, h('h1', null, 'Administration'),
    h('nav', {class: 'seg tabs', id: 'admin-tabs'}, tabs.map(([name, title]) => h('a', {href: name === 'devices' ? '#/admin' : `#/admin/${name}`,
      class: name === tab ? 'on' : null, dataset: {tab: name}}, title))),
    h('span', {class: 'spacer'}),
    api.can('operator') ? h('a', {class: 'btn', href: '/monitoring', id: 'monitoring-link'}, 'Task queues (/monitoring)') : null), body));
  if (!tabs.some(([name]) => name === tab)) {
    body.append(errorBox(TABS.some(([name]) => name === tab) ? 'Your role may not see this tab.' : `No admin tab "${tab}".`));
    return null;
  }
  if (tab === 'devices') {
    const page = new DevicePage(body, app);
    if (edit) await page.edit(edit);
    return page;
  }
  if (tab === 'places') return placesTab(body, edit);
  if (tab === 'schedule') return scheduleTab(body);
  if (tab === 'audit') {
    body.append(section('Audit log (newest 50)', auditTable()));
    return null;
  }
  return editorTab(body, tab, app, edit);
}

// editorTab mounts the Editor of rules, maintenance, channels or users.
async function editorTab(body, tab, app, edit) {
  const spec = {
    rules: () => ruleSpec(app, api.can('admin')),
    maintenance: () => windowSpec(app, api.can('operator')),
    channels: () => channelSpec(app, api.can('admin')),
    users: () => userSpec(),
    profiles: () => profileSpec(api.can('admin')),
  }[tab]();
  // device names in scopes need the fleet
  if (app.fleetReady) await app.fleetReady.catch(() => {});
  const ed = new Editor(spec);
  body.append(ed.el);
  if (tab === 'maintenance') body.append(zoneList());
  let tokens = null;
  if (tab === 'users') {
    tokens = new Tokens();
    body.append(tokens.el);
    spec.afterSave = () => tokens.load(ed.items);
  }
  await ed.load();
  if (tokens) await tokens.load(ed.items);
  if (edit && spec.canWrite) await ed.edit(edit);
  return {unmount() {}};
}

// placesTab: the regions editor and the branches editor (whose default-profile choice needs
// the profiles); ?edit=<id> opens a branch.
async function placesTab(body, edit) {
  const canWrite = api.can('admin');
  const profiles = ((await api.get('/profiles').catch(() => null)) || {}).profiles || [];
  const regions = new Editor(regionSpec(canWrite));
  const branches = new Editor(branchSpec(canWrite, profiles));
  // a region saved or deleted changes the branches' region names and counts
  regions.spec.afterSave = () => branches.load();
  branches.spec.afterSave = () => regions.load();
  body.append(placesNote(), regions.el, branches.el, zoneList());
  await Promise.all([regions.load(), branches.load()]);
  if (edit && canWrite) await branches.edit(edit);
  return {unmount() {}};
}

function auditTable() {
  const out = h('div', {id: 'audit-list'}, h('p', {class: 'muted'}, 'loading…'));
  api.get('/audit?limit=50', {quiet401: true}).then((data) => {
    const rows = (data && data.entries) || [];
    out.replaceChildren(rows.length ? genericTable(rows) : h('p', {class: 'muted'}, 'None yet.'));
  }, (e) => out.replaceChildren(h('p', {class: 'muted'}, e.status === 404 || e.status === 405 ? 'Not available on this API yet.' : `Could not load: ${e.message}`)));
  return out;
}

class DevicePage {
  constructor(view, app) {
    this.app = app;
    this.editing = 0;
    this.inputs = {};
    this.form = h('form', {class: 'form-grid', id: 'device-form', onsubmit: (e) => { e.preventDefault(); this.save(); }},
      FIELDS.map(([k, label, req]) => h('label', null, label, this.inputs[k] = h('input', {name: k, id: `f-${k}`, required: req || null,
        inputmode: k === 'parent_id' ? 'numeric' : null}))),
      h('label', {class: 'check'}, this.inputs.enabled = h('input', {type: 'checkbox', id: 'f-enabled', checked: true}), 'Monitoring enabled'),
      this.formMsg = h('p', {class: 'form-msg', role: 'status', id: 'form-msg'}),
      h('div', {class: 'row'}, this.saveBtn = h('button', {class: 'btn primary', type: 'submit'}, 'Create device'),
        this.newBtn = h('button', {class: 'btn', type: 'button', hidden: true, onclick: () => this.reset()}, 'New device'),
        this.delBtn = h('button', {class: 'btn danger', type: 'button', hidden: true, onclick: () => this.remove()}, 'Delete')));
    this.find = h('input', {type: 'search', placeholder: 'Find a device to edit (name or IP)', id: 'admin-find', oninput: () => this.lookup()});
    this.found = h('div', {class: 'found'});
    this.formTitle = h('h2', null, 'New device');
    this.file = h('input', {type: 'file', accept: '.csv,text/csv', id: 'import-file'});
    this.progress = h('progress', {max: 1, value: 0, id: 'import-progress', hidden: true});
    this.importOut = h('div', {id: 'import-result'});
    view.append(h('div', {class: 'grid2'},
      h('section', {class: 'card'}, this.formTitle, this.find, this.found, this.form),
      section('Import devices from CSV',
        h('p', {class: 'muted'}, 'Header line: name, ip (required), branch, region, type, vendor, parent, labels, enabled. Existing names are updated. Nothing is written unless every line is valid.'),
        h('div', {class: 'row'}, this.file, h('button', {class: 'btn primary', type: 'button', id: 'import-go', onclick: () => this.upload()}, 'Import')),
        this.progress, this.importOut)));
    // the branch must exist: offer the known ones (the region follows from the branch)
    const branches = h('datalist', {id: 'branch-list'});
    this.inputs.branch.setAttribute('list', 'branch-list');
    view.append(branches);
    api.get('/branches').then((d) => branches.replaceChildren(...((d && d.branches) || []).map((b) =>
      h('option', {value: b.name}, b.region ? `${b.name} (${b.region})` : b.name))), () => {});
  }

  unmount() {}

  reset() {
    this.editing = 0;
    this.form.reset();
    this.inputs.enabled.checked = true;
    this.formTitle.textContent = 'New device';
    this.saveBtn.textContent = 'Create device';
    this.newBtn.hidden = this.delBtn.hidden = true;
    this.message('');
    history.replaceState(null, '', '#/admin');
  }

  async edit(id) {
    try {
      const d = await api.devices.one(id);
      this.editing = d.id;
      for (const [k] of FIELDS) this.inputs[k].value = k === 'labels' ? Object.entries(d.labels || {}).map(([a, b]) => `${a}=${b}`).join(';') : (d[k] ?? '');
      this.inputs.enabled.checked = !!d.enabled;
      this.formTitle.textContent = `Edit ${d.name}`;
      this.saveBtn.textContent = 'Save changes';
      this.newBtn.hidden = this.delBtn.hidden = false;
      this.message('');
      history.replaceState(null, '', `#/admin?edit=${d.id}`);
    } catch (e) {
      this.message(e.message, true);
    }
  }

  async lookup() {
    const q = this.find.value.trim();
    if (!q) { clear(this.found); return; }
    const list = this.app.fleet.devices.filter((d) => d.name.toLowerCase().includes(q.toLowerCase()) || d.ip.startsWith(q)).slice(0, 8);
    clear(this.found).append(...list.map((d) => h('button', {type: 'button', class: 'btn small', onclick: () => { this.find.value = ''; clear(this.found); this.edit(d.id); }}, `${d.name} (${d.ip})`)));
  }

  body() {
    const b = {};
    for (const [k] of FIELDS) {
      const v = this.inputs[k].value.trim();
      if (k === 'parent_id') b.parent_id = v === '' ? null : Number(v);
      else if (k === 'labels') b.labels = parseLabels(v);
      else if (v !== '' || this.editing) b[k] = v;
    }
    b.enabled = this.inputs.enabled.checked;
    return b;
  }

  async save() {
    for (const el of Object.values(this.inputs)) el.removeAttribute('aria-invalid');
    try {
      const d = this.editing ? await api.devices.update(this.editing, this.body()) : await api.devices.create(this.body());
      this.message(`${this.editing ? 'Saved' : 'Created'} ${d.name} (id ${d.id}).`);
      if (!this.editing) this.edit(d.id);
      this.app.fleet.load().catch(() => {});
    } catch (e) {
      if (e.field && this.inputs[e.field]) this.inputs[e.field].setAttribute('aria-invalid', 'true');
      this.message(e.message, true);
    }
  }

  async remove() {
    const id = this.editing;
    const ok = await dialog({title: `Delete ${this.inputs.name.value}?`, text: 'It leaves every list at once; its events, availability and audit stay until retention purges them.',
      okText: 'Delete', action: () => api.devices.remove(id)});
    if (!ok) return;
    this.reset();
    this.message('Deleted.');
    this.app.fleet.load().catch(() => {});
  }

  message(text, bad) {
    this.formMsg.textContent = text;
    this.formMsg.className = bad ? 'form-msg error' : 'form-msg';
  }

  async upload() {
    const f = this.file.files[0];
    if (!f) { clear(this.importOut).append(errorBox('Choose a CSV file first.')); return; }
    this.progress.hidden = false;
    this.progress.value = 0;
    clear(this.importOut).append(h('p', {class: 'muted'}, `uploading ${f.name} (${num(f.size / 1024, 0)} KiB)…`));
    try {
      const res = await api.importCSV(f, (frac) => { this.progress.value = frac; });
      clear(this.importOut).append(h('p', {class: 'ok-note', id: 'import-ok'}, `Imported ${res.rows} lines: ${res.created} created, ${res.updated} updated.`),
        (res.places || []).length ? h('ul', {id: 'import-places'}, res.places.map((p) => h('li', null, p))) : null);
      this.app.fleet.load().catch(() => {});
    } catch (e) {
      const lines = (e.body && e.body.lines) || [];
      clear(this.importOut).append(...[errorBox(e.message),
        lines.length ? table(['Line', 'Field', 'Problem'], lines.slice(0, 500).map((l) => [l.line, l.field || '', l.message]), 'import-errors') : null,
        lines.length > 500 ? h('p', {class: 'muted'}, `… and ${lines.length - 500} more lines with errors.`) : null].filter(Boolean));
    }
  }
}

function parseLabels(s) {
  const out = {};
  for (const part of s.split(';')) {
    const [k, ...v] = part.split('=');
    if (k.trim()) out[k.trim()] = v.join('=').trim();
  }
  return out;
}

// genericTable shows up to 8 scalar columns of the rows (secrets are never in API answers).
function genericTable(rows) {
  const cols = Object.keys(rows[0]).filter((k) => rows.some((r) => r[k] === null || typeof r[k] !== 'object')).slice(0, 8);
  return table(cols, rows.slice(0, 100).map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c])))));
}
