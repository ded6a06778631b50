// Editor: the list-and-form pattern of the admin tabs (rules, maintenance, channels, users).
// Every role that may read a list sees it as a table; the roles that may write (the API's
// guard, mirrored by spec.canWrite) also get a form to create, edit and delete. The API is
// the authority on values: an answer {"error":{code,message,field}} is shown next to the field
// it names (field "scope" marks the first "scope.*" input), and anything else under the form.
import * as api from './api.js';
import {open as dialog} from './dialog.js';
import {h, clear} from './dom.js';

// A field: {name (the API's field path, e.g. "config.url"), label, type: text | number | password |
// select | checkbox | checks | datetime-local | time | heading (a sub-title, no value), options: [[value, label]], hint,
// show(vals) → bool, lock (read-only when editing), wide, attrs}. A number is typed as text and
// checked here, so that "abc" is refused visibly instead of silently becoming empty.

// Editor renders one resource's list and form into a container.
export class Editor {
  // spec: {key, noun, title, path, listKey, canWrite, readHint, columns: [[label, item → text|Node]],
  // fields, blank() → vals, fromItem(item) → vals, toBody(vals, item) → body (throws FieldError),
  // update: 'PATCH' | 'PUT', label(item), afterSave(item, editor), editButtons(editor) → [Node]}
  constructor(spec) {
    this.spec = spec;
    this.item = null;
    this.inputs = {}; // name → input (or, for "checks", the fieldset)
    this.boxes = {}; // name → the label around a field
    this.errs = {}; // name → its error slot
    this.list = h('div', {class: 'table-wrap', id: `${spec.key}-list`}, h('p', {class: 'muted'}, 'loading…'));
    const listCard = h('section', {class: 'card'}, h('div', {class: 'card-head'}, h('h2', null, spec.title),
      spec.canWrite ? h('button', {class: 'btn', type: 'button', id: `${spec.key}-new`, onclick: () => this.reset()}, `New ${spec.noun}`) : null),
    spec.canWrite ? null : h('p', {class: 'muted read-only'}, spec.readHint || 'Read only for your role.'), this.list);
    this.el = listCard;
    if (!spec.canWrite) return;
    this.formTitle = h('h2', null, `New ${spec.noun}`);
    this.msg = h('p', {class: 'form-msg', role: 'status', id: `${spec.key}-msg`});
    this.saveBtn = h('button', {class: 'btn primary', type: 'submit', id: `${spec.key}-save`}, `Create ${spec.noun}`);
    this.delBtn = h('button', {class: 'btn danger', type: 'button', id: `${spec.key}-delete`, hidden: true, onclick: () => this.remove()}, 'Delete');
    this.extra = h('span', {class: 'row'});
    this.form = h('form', {class: 'form-grid', id: `${spec.key}-form`, novalidate: true,
      oninput: () => this.refresh(), onchange: () => this.refresh(), onsubmit: (e) => { e.preventDefault(); this.save(); }},
    spec.fields.map((f) => this.field(f)), this.msg, h('div', {class: 'row'}, this.saveBtn, this.delBtn, this.extra));
    this.el = h('div', {class: 'grid2 editor'}, listCard, h('section', {class: 'card', id: `${spec.key}-editor`}, this.formTitle, this.form));
    this.fill(spec.blank());
  }

  // inputFields are the fields that hold a value.
  get inputFields() {
    return this.spec.fields.filter((f) => f.type !== 'heading');
  }

  // field builds one labelled input with its error slot.
  field(f) {
    const id = `${this.spec.key}-${f.name.replace(/\./g, '-')}`;
    if (f.type === 'heading') return (this.boxes[f.name] = h('h3', {class: 'form-sep'}, f.label, f.hint ? h('span', {class: 'hint'}, ` — ${f.hint}`) : null));
    let input;
    if (f.type === 'select') {
      input = h('select', {id, name: f.name, ...f.attrs}, f.options.map(([v, l]) => h('option', {value: v}, l)));
    } else if (f.type === 'checks') {
      input = h('fieldset', {class: 'checks', id}, f.options.map(([v, l]) => h('label', {class: 'check'},
        h('input', {type: 'checkbox', value: v, id: `${id}-${v}`}), l)));
    } else {
      const type = f.type === 'number' ? 'text' : f.type || 'text';
      input = h('input', {id, name: f.name, type, inputmode: f.type === 'number' ? 'decimal' : null,
        autocomplete: f.type === 'password' ? 'new-password' : 'off', ...f.attrs});
    }
    const err = h('span', {class: 'field-error', id: `${id}-error`, role: 'alert'});
    const box = f.type === 'checkbox'
      ? h('label', {class: 'check', dataset: {field: f.name}}, input, f.label, err)
      : h('label', {class: f.wide || f.type === 'checks' ? 'wide' : null, dataset: {field: f.name}}, f.label, input,
        f.hint ? h('span', {class: 'hint'}, f.hint) : null, err);
    this.inputs[f.name] = input;
    this.boxes[f.name] = box;
    this.errs[f.name] = err;
    return box;
  }

  // values reads the form: text as trimmed strings, checkboxes as booleans, "checks" as arrays.
  values() {
    const v = {};
    for (const f of this.inputFields) {
      const el = this.inputs[f.name];
      if (f.type === 'checkbox') v[f.name] = el.checked;
      else if (f.type === 'checks') v[f.name] = [...el.querySelectorAll('input:checked')].map((c) => c.value);
      else v[f.name] = el.value.trim();
    }
    return v;
  }

  fill(vals) {
    for (const f of this.inputFields) {
      const el = this.inputs[f.name];
      const v = vals[f.name];
      if (f.type === 'checkbox') el.checked = !!v;
      else if (f.type === 'checks') for (const c of el.querySelectorAll('input')) c.checked = (v || []).map(String).includes(c.value);
      else el.value = v ?? '';
      if (f.lock) el.disabled = !!this.item;
    }
    this.refresh();
  }

  // refresh shows the fields that apply to the current values (e.g. the type's settings).
  refresh() {
    const vals = this.values();
    for (const f of this.spec.fields) if (f.show) this.boxes[f.name].hidden = !f.show(vals, this.item);
    if (this.spec.onRefresh) this.spec.onRefresh(this, vals);
  }

  async load() {
    try {
      const data = await api.get(this.spec.path, {quiet401: true});
      this.items = data[this.spec.listKey] || [];
      this.renderList();
    } catch (e) {
      const absent = e.status === 404 || e.status === 405;
      if (absent && this.form) this.form.closest('section').hidden = true; // nothing to write to
      clear(this.list).append(h('p', {class: 'muted'}, absent ? 'Not available on this API yet.'
        : e.status === 403 ? 'Your role may not see this.' : `Could not load: ${e.message}`));
    }
  }

  renderList() {
    const {columns, canWrite, noun} = this.spec;
    if (!this.items.length) { clear(this.list).append(h('p', {class: 'muted'}, `No ${noun}s yet.`)); return; }
    // for writers the first cell (the name) is the button that opens the item in the form
    const first = (it, v) => (canWrite ? h('button', {class: 'linkish', type: 'button', title: `Edit ${this.spec.label(it)}`,
      dataset: {act: 'edit'}, onclick: () => this.edit(it.id)}, v) : v);
    const head = h('tr', null, columns.map(([l]) => h('th', null, l)));
    const rows = this.items.map((it) => h('tr', {dataset: {id: it.id}, class: this.item && this.item.id === it.id ? 'selected' : null},
      columns.map(([, fn], i) => h('td', null, i === 0 ? first(it, fn(it)) : fn(it)))));
    clear(this.list).append(h('table', {class: 'tbl'}, h('thead', null, head), h('tbody', null, rows)));
  }

  reset() {
    this.item = null;
    this.formTitle.textContent = `New ${this.spec.noun}`;
    this.saveBtn.textContent = `Create ${this.spec.noun}`;
    this.delBtn.hidden = true;
    clear(this.extra);
    this.clearErrors();
    this.message('');
    this.fill(this.spec.blank());
    if (this.items) this.renderList();
    history.replaceState(null, '', location.hash.split('?')[0]);
    this.inputs[this.inputFields[0].name].focus();
  }

  async edit(id) {
    try {
      this.show(await api.get(`${this.spec.path}/${id}`));
      this.message('');
    } catch (e) {
      this.message(e.message, true);
    }
  }

  // show puts a stored item into the form.
  show(item) {
    this.item = item;
    this.formTitle.textContent = `Edit ${this.spec.label(item)}`;
    this.saveBtn.textContent = 'Save changes';
    this.delBtn.hidden = false;
    this.clearErrors();
    this.fill(this.spec.fromItem(item));
    clear(this.extra).append(...(this.spec.editButtons ? this.spec.editButtons(this) : []));
    if (this.items) this.renderList();
    history.replaceState(null, '', `${location.hash.split('?')[0]}?edit=${item.id}`);
  }

  async save() {
    this.clearErrors();
    let body;
    try {
      body = this.spec.toBody(this.values(), this.item);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      this.fail(e);
      return;
    }
    const {path, update = 'PATCH'} = this.spec;
    const creating = !this.item;
    try {
      const saved = creating ? await api.post(path, body) : await api.request(update, `${path}/${this.item.id}`, body);
      this.show(saved);
      this.message(`${creating ? 'Created' : 'Saved'} ${this.spec.label(saved)}.`);
      await this.load();
      if (this.spec.afterSave) this.spec.afterSave(saved, this);
    } catch (e) {
      this.fail(e);
    }
  }

  async remove() {
    const it = this.item;
    const ok = await dialog({title: `Delete ${this.spec.noun} ${this.spec.label(it)}?`, text: this.spec.deleteText || 'This cannot be undone.',
      okText: 'Delete', action: () => api.del(`${this.spec.path}/${it.id}`)});
    if (!ok) return;
    this.reset();
    this.message(`Deleted ${this.spec.label(it)}.`);
    await this.load();
  }

  // fail shows an error next to the field it names, else under the form.
  fail(e) {
    // spec.errorField(field, vals) may send an API field to another input (one API field that
    // two inputs edit, as a rule's metric: the system metric or the extra OID's name)
    const name = this.fieldFor(this.spec.errorField ? this.spec.errorField(e.field, this.values()) : e.field);
    if (!name) { this.message(e.message, true); return; }
    const text = withoutField(e.message, e.field);
    this.errs[name].textContent = text;
    this.boxes[name].classList.add('invalid');
    this.boxes[name].hidden = false;
    const el = this.inputs[name];
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', this.errs[name].id);
    this.message(`Not saved: ${this.labelOf(name)} — ${text}`, true);
    (el.tagName === 'FIELDSET' ? el.querySelector('input') : el).focus();
  }

  // fieldFor maps an API field path onto a form field: exactly, else the first field under it
  // ("targets" → "targets.regions"), else the field it is under ("config.to.1" → "config.to",
  // "snmp.extra_oids[2].oid" → "snmp.extra_oids").
  fieldFor(field) {
    if (!field) return '';
    const names = this.inputFields.map((f) => f.name);
    return names.find((n) => n === field) || names.find((n) => n.startsWith(`${field}.`))
      || names.find((n) => field.startsWith(`${n}.`) || field.startsWith(`${n}[`)) || '';
  }

  labelOf(name) {
    return this.spec.fields.find((f) => f.name === name).label;
  }

  clearErrors() {
    for (const [name, err] of Object.entries(this.errs)) {
      err.textContent = '';
      this.boxes[name].classList.remove('invalid');
      this.inputs[name].removeAttribute('aria-invalid');
      this.inputs[name].removeAttribute('aria-describedby');
    }
  }

  message(text, bad) {
    this.msg.textContent = text;
    this.msg.className = bad ? 'form-msg error' : 'form-msg';
  }
}

// withoutField drops the field's name from the front of an API message, shown beside the field:
// "snmp.credentials.port: must be…" or "port: must be…" (any tail of the path) → "must be…".
function withoutField(message, field) {
  const parts = (field || '').split('.');
  for (let i = 0; i < parts.length; i++) {
    const tail = `${parts.slice(i).join('.')}: `;
    // an indexed path ("extra_oids[2].oid") stays: it says which entry of the input is wrong
    if (parts[i] && !tail.includes('[') && message.startsWith(tail)) return message.slice(tail.length);
  }
  return message;
}

// FieldError is a value the form refuses before asking the API.
export class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

// number parses a numeric form value: undefined when empty, FieldError when not a number.
export function number(vals, name, {integer = false} = {}) {
  const v = vals[name];
  if (v === '' || v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new FieldError(name, integer ? 'must be a whole number' : 'must be a number');
  return n;
}

// list splits "a, b ,c" into ['a', 'b', 'c'].
export function list(s) {
  return (s || '').split(',').map((x) => x.trim()).filter(Boolean);
}

// pairs parses "k=v; k2=v2" into an object; pairsText is the reverse.
export function pairs(s) {
  const out = {};
  for (const part of (s || '').split(';')) {
    const [k, ...v] = part.split('=');
    if (k.trim()) out[k.trim()] = v.join('=').trim();
  }
  return out;
}

export function pairsText(obj) {
  return Object.entries(obj || {}).map(([k, v]) => `${k}=${v}`).join('; ');
}

// onOff is an enabled/disabled mark: icon, word and colour.
export function onOff(on, yes = 'enabled', no = 'disabled') {
  return h('span', {class: `onoff ${on ? 'on' : 'off'}`}, h('span', {class: 'onoff-ic', 'aria-hidden': 'true'}, on ? '✓' : '–'), on ? yes : no);
}
