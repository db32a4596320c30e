/*
 * Dialogs ("I need help now", the idle warning): native <dialog>, modal, Escape closes; focus goes
 * to the title, and back where it was (or to the question) when it closes. Where <dialog> is not
 * known, the script does not open it: the plain pages do the work.
 */

import { state } from './state.js';

export function canDialog(dialog) {
  return Boolean(dialog && typeof dialog.showModal === 'function');
}

export function openDialog(dialog, returnTo, onClose) {
  dialog.appReturnTo = returnTo || document.activeElement;
  dialog.appOnClose = onClose || null;
  if (!dialog.appWired) {
    dialog.appWired = true;
    dialog.addEventListener('close', () => {
      const after = dialog.appOnClose;
      dialog.appOnClose = null;
      let back = dialog.appReturnTo;
      dialog.appReturnTo = null;
      if (after) {
        after();
      }
      if (state.stopped) {
        return;
      }
      if (!back || !document.body.contains(back)) {
        back = state.heading;
      }
      if (back && typeof back.focus === 'function') {
        back.focus();
      }
    });
  }
  if (!dialog.open) {
    dialog.showModal();
  }
  const title = dialog.querySelector('.app-dialog__title');
  if (title) {
    title.focus();
  }
}

export function closeDialog(dialog) {
  if (dialog && dialog.open) {
    dialog.close();
  }
}
