/* "I need help now" as a dialog, the session ending, and refusals. "Exit this page" is app.js (a
   plain script, every page); the chat adds that the socket says `exit` too. */

import { hideLog } from './answers.js';
import { stopTimers } from './idle.js';
import { stopSpeaking } from './settings.js';
import { app, card, clear, connected, el, emit, q, root, socket, state, t } from './shared.js';
import { drawRefused, hideAround, showStatus } from './turn.js';

// ---- I need help now --------------------------------------------------------------------------------

function drawContacts(dialog, contacts) {
  const list = dialog.querySelector('[data-role="contacts"]');
  clear(list);
  (contacts || []).forEach((contact) => {
    const item = el('li', 'app-contact app-contact--' + String(contact.kind || '').replace(/[^a-z_]/g, ''));
    item.appendChild(el('span', 'app-contact__label', contact.label));
    const number = el('a', 'app-contact__number', contact.number);
    number.href = 'tel:' + String(contact.number).replace(/\s+/g, '');
    number.setAttribute('dir', 'ltr');
    item.appendChild(number);
    if (contact.example) {
      item.appendChild(el('span', 'app-contact__example', contact.example));
    }
    list.appendChild(item);
  });
}

// Only what the server says is true of the message (sent, a demo, or not saved).
function drawNotice(dialog, lines) {
  const box = dialog.querySelector('[data-role="help-notice"]');
  clear(box);
  (lines || []).forEach((line) => box.appendChild(el('p', '', line)));
}

export function askForHelp(form, event) {
  const dialog = q('[data-role="help-dialog"]');
  if (!connected() || state.stopped || !canDialog(dialog)) {
    return; // the form posts: the help page records the request and shows the same contacts
  }
  event.preventDefault();
  const button = form.querySelector('button');
  let answered = false;
  const fallback = setTimeout(() => {
    if (!answered) {
      answered = true;
      form.submit();
    }
  }, 5000);
  emit('help', {}, (ack) => {
    if (answered) {
      return;
    }
    answered = true;
    clearTimeout(fallback);
    if (!ack || !ack.contacts) {
      form.submit(); // the page of its own still works, and says what it can
      return;
    }
    drawNotice(dialog, ack.notice);
    drawContacts(dialog, ack.contacts);
    closeDialog(q('[data-role="idle-dialog"]'));
    openDialog(dialog, button);
  });
}

// ---- When the session ends (timed out, stopped, or left from another tab) -------------------------

export function endHere(kind) {
  if (state.stopped && root.getAttribute('data-ended')) {
    return;
  }
  state.stopped = true;
  state.pending = null;
  stopTimers();
  stopSpeaking();
  closeDialog(q('[data-role="idle-dialog"]'));
  closeDialog(q('[data-role="help-dialog"]'));
  socket.disconnect();
  showStatus('');
  hideLog(); // nothing the person said stays on the screen
  clear(card);
  card.className = 'app-card';
  let focus;
  if (kind === 'stopped') {
    focus = el('h1', 'app-heading', t('stopped'));
    card.appendChild(focus);
    card.appendChild(el('p', 'app-lead', t('stopped-body')));
  } else {
    focus = el('div', 'app-notice-panel');
    focus.setAttribute('role', 'status');
    focus.setAttribute('data-role', 'notice');
    focus.appendChild(el('p', 'app-notice-panel__text', t('timed-out')));
    card.appendChild(focus);
  }
  const actions = el('div', 'app-actions');
  const start = el('a', 'app-button app-button--secondary', t('to-start'));
  start.href = root.getAttribute('data-start-url') || '/';
  actions.appendChild(start);
  card.appendChild(actions);
  hideAround();
  root.setAttribute('data-ended', kind);
  root.setAttribute('data-step', '');
  state.heading = null;
  focus.tabIndex = -1;
  focus.focus();
}

// The invitation was closed (revoked, expired) or the connection refused: say so, and stop.
export function refuse(message) {
  state.stopped = true;
  state.pending = null;
  stopTimers();
  drawRefused(message);
  socket.disconnect();
}

export function stopIfClosed(ack) {
  if (!ack || ack.code !== 'closed') {
    return false;
  }
  refuse(ack.error);
  return true;
}

export function watchSafety() {
  const App = app();
  App.exitHooks.push(() => {
    stopTimers();
    if (connected()) {
      socket.emit('exit', {}, () => {});
    }
  });
  // The server ended this browser's session: the answers are kept, and this page shows none.
  socket.on('ended', (data) => {
    const reason = data && data.reason;
    if (reason === 'exit') {
      if (App.exit) {
        App.exit();
      }
      return;
    }
    endHere(reason === 'stop' ? 'stopped' : 'timed-out');
  });
}

// ---- Dialogs: native <dialog>, modal; focus goes in, and back where it was ----------------------

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
