// The shared modal dialog (index.html #dialog) for actions that take a comment: acknowledge,
// close, delete. open() resolves true when the action ran, false when cancelled; a failing
// action keeps the dialog open with its error.
export function open({title, text = '', comment = false, expiry = false, okText = 'OK', action}) {
  const dlg = document.getElementById('dialog');
  const form = document.getElementById('dialog-form');
  const err = document.getElementById('dialog-error');
  const area = document.getElementById('dialog-comment');
  const exp = document.getElementById('dialog-expiry');
  document.getElementById('dialog-title').textContent = title;
  document.getElementById('dialog-text').textContent = text;
  document.getElementById('dialog-comment-label').hidden = !comment;
  document.getElementById('dialog-expiry-label').hidden = !expiry;
  document.getElementById('dialog-ok').textContent = okText;
  area.value = '';
  exp.value = '';
  err.hidden = true;
  return new Promise((resolve) => {
    const done = (v) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dlg.removeEventListener('cancel', onCancel);
      dlg.close();
      resolve(v);
    };
    const onCancel = (e) => { e.preventDefault(); done(false); };
    const onSubmit = async (e) => {
      e.preventDefault();
      try {
        await action({comment: area.value.trim(), minutes: Number(exp.value) || 0});
        done(true);
      } catch (x) {
        err.hidden = false;
        err.textContent = x.message;
      }
    };
    const cancel = document.getElementById('dialog-cancel');
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dlg.addEventListener('cancel', onCancel);
    dlg.showModal();
    (comment ? area : document.getElementById('dialog-ok')).focus();
  });
}
