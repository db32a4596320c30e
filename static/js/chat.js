/*
 * My Safeguarding Experience: the live chat (an ES module; its parts are in static/js/chat/).
 *
 * Progressive enhancement of app/templates/chat.html. Without JavaScript, or in a browser too old
 * for modules (static/js/enhance.js then leaves the page as "app-no-js"), that page is a plain form,
 * one question per page. With it, this script opens the Socket.IO namespace /chat and shows every
 * `turn` the server sends in the same page (the protocol is in README.md):
 *
 *   chat/socket.js      the connection, and `emit`
 *   chat/connection.js  its events: turns, dropping, coming back, refusal
 *   chat/turn.js        each turn: the page around it, the log, the card
 *   chat/card.js        the question card (drawn on the server: app/templates/_card.html), problems
 *   chat/log.js         what was said, and each answer's saved state
 *   chat/answers.js     answering, Back and Change; an answer not acknowledged is sent again
 *   chat/settings.js    language, direction and reading settings on the page
 *   chat/language.js    changing language at any moment
 *   chat/read-aloud.js  "Read aloud"
 *   chat/safety.js      "I need help now", the session ending, refusals
 *   chat/idle.js        the idle warning (WCAG 2.2.1)
 *   chat/dialogs.js     native <dialog>s
 *   chat/state.js, chat/dom.js  what they share
 */

import { move, submitAnswer } from './chat/answers.js';
import { watchConnection } from './chat/connection.js';
import { closeDialog } from './chat/dialogs.js';
import { closest } from './chat/dom.js';
import { moreTime, scheduleWarning, startIdleClock } from './chat/idle.js';
import { changeLanguage } from './chat/language.js';
import { listenForVoices, readAloud } from './chat/read-aloud.js';
import { askForHelp, watchSafety } from './chat/safety.js';
import { changeSetting } from './chat/settings.js';
import { connected, open } from './chat/socket.js';
import { busy, card, log, root, state } from './chat/state.js';

function live() {
  return state.rendered && !state.stopped && connected();
}

function watchCard() {
  // Until the first turn arrives the server's own form is on screen, and posts as usual.
  card.addEventListener('submit', (event) => {
    if (!state.rendered) {
      return;
    }
    event.preventDefault();
    submitAnswer(false);
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

// The header, the settings and the dialogs are drawn again after a change of language, so their
// events are caught on the document.
function watchPage() {
  document.addEventListener('click', (event) => {
    const button = closest(event.target, 'button');
    if (!button) {
      return;
    }
    if (button.name === 'lang' && closest(button, '[data-role="language-form"]')) {
      if (!live()) {
        return; // the form posts, and the page comes back in the new language
      }
      event.preventDefault();
      if (button.value !== state.lang && !busy()) {
        changeLanguage(button.value, button.id);
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
    const form = event.target;
    if (form && form.getAttribute('data-role') === 'help-form') {
      askForHelp(form, event);
    } else if (form && form.getAttribute('data-role') === 'settings-form' && live()) {
      event.preventDefault(); // each change was sent as it was made
    }
  });

  document.addEventListener('change', (event) => {
    const input = event.target;
    const form = input && input.form;
    if (!form || form.getAttribute('data-role') !== 'settings-form' || input.type !== 'radio') {
      return;
    }
    if (!live()) {
      form.submit(); // no live connection: the plain form does it, and the page comes back
      return;
    }
    changeSetting(input);
  });
}

// No chat here, or no client library: the plain form keeps working.
if (root && log && card && typeof window.io === 'function') {
  startIdleClock();
  listenForVoices();
  open();
  watchSafety();
  watchConnection();
  watchCard();
  watchPage();
  scheduleWarning();
}
