/* The live chat (an ES module; its parts by job in chat/): app/templates/chat.html, plain forms
   without it, becomes a chat over the Socket.IO namespace /chat (protocol: README.md). */

import { move, send, submitAnswer } from './chat/answers.js';
import { moreTime, scheduleWarning, startIdleClock } from './chat/idle.js';
import { askForHelp, closeDialog, refuse, watchSafety } from './chat/safety.js';
import { changeLanguage, changeSetting, listenForVoices, readAloud } from './chat/settings.js';
import { busy, card, closest, connected, log, open, root, socket, state, t } from './chat/shared.js';
import { onTurn, setBusy, showStatus } from './chat/turn.js';

function live() {
  return state.rendered && !state.stopped && connected();
}

function watchConnection() {
  socket.on('turn', onTurn);

  socket.on('connect', () => {
    showStatus('');
    send(); // an answer left unacknowledged when the connection dropped: same id, stored once
  });

  socket.on('disconnect', (reason) => {
    if (state.pending) {
      state.pending.inFlight = false;
    }
    if (state.moving) {
      state.moving = null;
      setBusy(Boolean(state.pending));
    }
    if (state.finished || state.stopped || reason === 'io client disconnect') {
      return;
    }
    if (reason === 'io server disconnect') {
      // Perhaps the invitation was closed. Ask once more: if so, the refusal says it calmly.
      socket.connect();
      return;
    }
    showStatus(t('reconnecting'));
  });

  socket.on('connect_error', (err) => {
    if (state.finished || state.stopped) {
      return;
    }
    if (socket.active) {
      showStatus(t('reconnecting')); // the network, not the code: the client keeps trying
      return;
    }
    showStatus(''); // refused (wrong, expired or finished code): say so and stop trying
    refuse(err && err.message);
  });
}

function watchCard() {
  // Until the first turn arrives the server's own form is on screen, and posts as usual.
  card.addEventListener('submit', (event) => {
    if (state.rendered) {
      event.preventDefault();
      submitAnswer(false);
    }
  });

  card.addEventListener('click', (event) => {
    const button = closest(event.target, 'button[data-action]');
    if (!button || !state.rendered || !card.contains(button)) {
      return;
    }
    event.preventDefault();
    const action = button.getAttribute('data-action');
    if (action === 'skip') {
      submitAnswer(true);
    } else if (action === 'back') {
      move('back', {});
    } else if (action === 'change') {
      move('change', { step: button.getAttribute('data-step') });
    } else if (action === 'read-aloud') {
      readAloud();
    }
  });
}

// Caught on the document: the header, settings and dialogs are redrawn in another language.
// Without a live chat, their plain forms post.
function watchPage() {
  document.addEventListener('click', (event) => {
    const button = closest(event.target, 'button');
    if (!button) {
      return;
    }
    if (button.name === 'lang' && closest(button, '[data-role="language-form"]')) {
      if (live()) {
        event.preventDefault();
        if (button.value !== state.lang && !busy()) {
          changeLanguage(button.value, button.id);
        }
      }
      return;
    }
    const action = button.getAttribute('data-action');
    if (action === 'carry-on') {
      closeDialog(closest(button, 'dialog'));
    } else if (action === 'more-time') {
      moreTime();
    }
  });

  document.addEventListener('submit', (event) => {
    const role = event.target.getAttribute('data-role');
    if (role === 'help-form') {
      askForHelp(event.target, event);
    } else if (role === 'settings-form' && live()) {
      event.preventDefault(); // each change was sent as it was made
    }
  });

  document.addEventListener('change', (event) => {
    const input = event.target;
    const form = input.form;
    if (!form || form.getAttribute('data-role') !== 'settings-form' || input.type !== 'radio') {
      return;
    }
    if (live()) {
      changeSetting(input);
    } else {
      form.submit();
    }
  });
}

// No chat here: nothing to do.
if (root && log && card) {
  startIdleClock();
  listenForVoices();
  open();
  watchSafety();
  watchConnection();
  watchCard();
  watchPage();
  scheduleWarning();
}
