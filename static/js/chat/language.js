/*
 * Changing language at any moment. The question and the log come back in the new language with the
 * turn (`language`); the page's own words (header, settings, dialogs, data-i18n-*) are fetched again
 * as a page (GET of this page) and swapped in region by region ([data-swap]). If that fails, the
 * question and the log are still in the new language, and a reload puts the rest right.
 */

import { readForm } from './card.js';
import { stopSpeaking } from './read-aloud.js';
import { stopIfClosed } from './safety.js';
import { emit } from './socket.js';
import { app, root, state } from './state.js';
import { onTurn } from './turn.js';

function loadChrome(done) {
  let called = false;
  const finish = () => {
    if (!called) {
      called = true;
      done();
    }
  };
  try {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', window.location.pathname, true);
    xhr.responseType = 'document';
    xhr.timeout = 8000;
    xhr.onload = () => {
      if (xhr.status === 200 && xhr.response) {
        try {
          swapChrome(xhr.response);
        } catch (e) { /* keep the words we have */ }
      }
      finish();
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = finish;
    xhr.send();
  } catch (e) {
    finish();
  }
}

function swapChrome(doc) {
  const fresh = doc.querySelector('[data-module="app-chat"]');
  if (!fresh) {
    return; // not the chat page any more (the conversation ended meanwhile)
  }
  Array.from(fresh.attributes).forEach((attribute) => {
    if (attribute.name.indexOf('data-i18n-') === 0) {
      root.setAttribute(attribute.name, attribute.value);
    }
  });
  document.querySelectorAll('[data-swap]').forEach((old) => {
    const name = old.getAttribute('data-swap');
    const replacement = doc.querySelector('[data-swap="' + name + '"]');
    if (!replacement || old.open === true && old.tagName === 'DIALOG') {
      return;
    }
    const node = document.importNode(replacement, true);
    node.hidden = old.hidden;
    old.querySelectorAll('details[open]').forEach((details) => {
      const same = details.id && node.querySelector('#' + details.id);
      if (same) {
        same.open = true;
      }
    });
    old.parentNode.replaceChild(node, old);
  });
  if (doc.title) {
    document.title = doc.title;
  }
  const App = app();
  if (App.measureHeader) {
    App.measureHeader();
  }
}

export function changeLanguage(lang, focusId) {
  if (state.switching) {
    return;
  }
  stopSpeaking();
  const switching = { lang: lang, turn: null, focusId: focusId, prefill: readForm() };
  state.switching = switching;
  emit('language', { lang: lang }, (ack) => {
    if (!ack || !ack.ok) {
      state.switching = null;
      if (!stopIfClosed(ack) && switching.turn) {
        onTurn(switching.turn);
      }
      return;
    }
    loadChrome(() => {
      state.switching = null;
      state.redraw = true;
      state.redrawPrefill = switching.prefill;
      if (switching.turn) {
        onTurn(switching.turn);
      } else {
        emit('resume', {}, () => {});
      }
      const again = focusId && document.getElementById(focusId);
      if (again) {
        again.focus();
      }
    });
  });
}
