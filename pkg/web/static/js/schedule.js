// The schedule tab (#/admin/schedule): every periodic job (ping, SNMP, worker health,
// retention) with its interval, offset, next and last run. Admins edit a row and save it; the
// scheduler applies the change at the job's next slot. Errors name the refused field.
import * as api from './api.js';
import {h, clear, errorBox, section, fmtTime} from './dom.js';

export function scheduleTab(body) {
  const out = h('div', {id: 'schedule-list'}, h('p', {class: 'muted'}, 'loading…'));
  body.append(section('Periodic jobs', h('p', {class: 'muted'},
    'Interval and offset are durations (30s, 5m, 1h); slots start at multiples of the interval plus the offset. A change applies at the job\'s next slot, without a restart.'), out));
  load(out);
  return {unmount() {}};
}

async function load(out) {
  try {
    const data = await api.get('/schedule');
    const rows = (data && data.schedule) || [];
    clear(out).append(rows.length ? h('table', {class: 'data'},
      h('thead', null, h('tr', null, ['Job', 'Interval', 'Offset', 'Enabled', 'Spec', 'Next run', 'Last run', ''].map((t) => h('th', null, t)))),
      h('tbody', null, rows.map((r) => row(r, out)))) : h('p', {class: 'muted'}, 'No jobs yet: the scheduler stores them at its first start.'));
  } catch (e) {
    clear(out).append(errorBox(`Could not load the schedule: ${e.message}`));
  }
}

function row(r, out) {
  const ro = !api.can('admin');
  const interval = h('input', {value: r.interval, size: 6, name: 'interval', disabled: ro || null});
  const offset = h('input', {value: r.offset, size: 6, name: 'offset', disabled: ro || null});
  const enabled = h('input', {type: 'checkbox', name: 'enabled', checked: r.enabled, disabled: ro || null});
  const msg = h('span', {class: 'form-msg', role: 'status'});
  const save = async () => {
    for (const el of [interval, offset]) el.removeAttribute('aria-invalid');
    try {
      await api.patch(`/schedule/${encodeURIComponent(r.task_type)}`, {interval: interval.value.trim(), offset: offset.value.trim(), enabled: enabled.checked});
      await load(out);
    } catch (e) {
      if (e.field === 'interval') interval.setAttribute('aria-invalid', 'true');
      if (e.field === 'offset') offset.setAttribute('aria-invalid', 'true');
      msg.textContent = e.message;
      msg.className = 'form-msg error';
    }
  };
  return h('tr', {dataset: {task: r.task_type}},
    h('td', null, h('strong', null, r.task_type), h('div', {class: 'muted'}, r.description)),
    h('td', null, interval), h('td', null, offset), h('td', null, enabled), h('td', null, h('code', null, r.spec)),
    h('td', null, r.next_run ? fmtTime(r.next_run) : '—'), h('td', null, r.last_run ? fmtTime(r.last_run) : 'never'),
    h('td', null, ro ? null : h('button', {class: 'btn small', type: 'button', onclick: save}, 'Save'), msg));
}
