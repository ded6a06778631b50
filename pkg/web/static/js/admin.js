// Admin: create, edit and delete devices; CSV import with an upload progress bar and the
// API's line-numbered errors (the import is all or nothing); read-only views of rules,
// maintenance, channels, users and the audit log when the API has them; a link to /monitoring.
import * as api from './api.js';
import {open as dialog} from './dialog.js';
import {h, clear, errorBox, section, num} from './dom.js';
import {table} from './reports.js';

const FIELDS = [['name', 'Name', true], ['ip', 'IP address', true], ['branch', 'Branch'], ['region', 'Region'],
  ['type', 'Type'], ['vendor', 'Vendor'], ['parent_id', 'Parent device id'], ['labels', 'Labels (k=v;k2=v2)']];
const OTHER = [['rules', 'Alert rules', '/rules'], ['maintenance', 'Maintenance windows', '/maintenance'],
  ['channels', 'Notification channels', '/channels'], ['users', 'Users', '/users'], ['audit', 'Audit log', '/audit?limit=50']];

export async function mount(view, {app, query}) {
  const page = new AdminPage(view, app);
  if (query.get('edit')) await page.edit(Number(query.get('edit')));
  page.loadOther();
  return page;
}

class AdminPage {
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
    this.other = h('div', {id: 'admin-other'});
    view.append(h('div', {class: 'admin-page'}, h('h1', null, 'Administration'),
      h('div', {class: 'grid2'},
        h('section', {class: 'card'}, this.formTitle, this.find, this.found, this.form),
        section('Import devices from CSV',
          h('p', {class: 'muted'}, 'Header line: name, ip (required), branch, region, type, vendor, parent, labels, enabled. Existing names are updated. Nothing is written unless every line is valid.'),
          h('div', {class: 'row'}, this.file, h('button', {class: 'btn primary', type: 'button', id: 'import-go', onclick: () => this.upload()}, 'Import')),
          this.progress, this.importOut)),
      h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, 'Other administration'),
        h('a', {class: 'btn', href: '/monitoring', id: 'monitoring-link'}, 'Task queues (/monitoring)')), this.other)));
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
    const ok = await dialog({title: `Delete ${this.inputs.name.value}?`, text: 'Its history stays in the time-series database until retention removes it.',
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
      clear(this.importOut).append(h('p', {class: 'ok-note', id: 'import-ok'}, `Imported ${res.rows} lines: ${res.created} created, ${res.updated} updated.`));
      this.app.fleet.load().catch(() => {});
    } catch (e) {
      const lines = (e.body && e.body.lines) || [];
      clear(this.importOut).append(...[errorBox(e.message),
        lines.length ? table(['Line', 'Field', 'Problem'], lines.slice(0, 500).map((l) => [l.line, l.field || '', l.message]), 'import-errors') : null,
        lines.length > 500 ? h('p', {class: 'muted'}, `… and ${lines.length - 500} more lines with errors.`) : null].filter(Boolean));
    }
  }

  async loadOther() {
    clear(this.other);
    for (const [key, title, path] of OTHER) {
      const box = h('details', {class: 'other', dataset: {section: key}}, h('summary', null, title), h('p', {class: 'muted'}, 'loading…'));
      this.other.append(box);
      api.get(path, {quiet401: true}).then((data) => {
        const rows = firstArray(data);
        box.lastChild.replaceWith(rows.length ? genericTable(rows) : h('p', {class: 'muted'}, 'None yet.'));
      }, (e) => {
        box.lastChild.replaceWith(h('p', {class: 'muted'}, e.status === 404 || e.status === 405 ? 'Not available on this API yet.'
          : e.status === 403 ? 'Your role may not see this.' : `Could not load: ${e.message}`));
        if (e.status === 404 || e.status === 405) box.classList.add('absent');
      });
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

function firstArray(data) {
  if (Array.isArray(data)) return data;
  for (const v of Object.values(data || {})) if (Array.isArray(v)) return v;
  return [];
}

// genericTable shows up to 8 scalar columns of the rows (secrets are never in API answers).
function genericTable(rows) {
  const cols = Object.keys(rows[0]).filter((k) => rows.some((r) => r[k] === null || typeof r[k] !== 'object')).slice(0, 8);
  return table(cols, rows.slice(0, 100).map((r) => cols.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c])))));
}
