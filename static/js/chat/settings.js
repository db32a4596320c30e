/* How the person reads: the reading settings (classes on <html>); changing language at any moment
   (the turn comes back in it, and the page's own words are fetched again and swapped in:
   [data-swap]); and "Read aloud", shown only where a voice speaks the conversation's language:
   Welsh read with English sounds would be worse than nothing. */

import { stopIfClosed } from './safety.js';
import { app, card, emit, firstStep, q, root, state, t } from './shared.js';
import { onTurn, readForm } from './turn.js';

const SIZES = ['large', 'larger'];
let settingsSent = 0; // settings changes not yet acknowledged
let settingsWanted = null; // what they add up to

function applySettings(settings) {
  const html = document.documentElement;
  SIZES.forEach((size) => html.classList.toggle('app-text-' + size, settings.text_size === size));
  html.classList.toggle('app-contrast', Boolean(settings.high_contrast));
  html.classList.toggle('app-easy-read', Boolean(settings.easy_read));
  const form = q('[data-role="settings-form"]');
  if (form) {
    const values = {
      easy_read: settings.easy_read ? 'on' : 'off',
      text_size: settings.text_size || 'normal',
      high_contrast: settings.high_contrast ? 'on' : 'off'
    };
    Object.keys(values).forEach((name) => {
      const input = form.querySelector('input[name="' + name + '"][value="' + values[name] + '"]');
      if (input && !input.checked) {
        input.checked = true;
      }
    });
  }
  const App = app();
  if (App.measureHeader) {
    App.measureHeader();
  }
}

export function applyPage(turn) {
  const html = document.documentElement;
  if (turn.language) {
    html.setAttribute('lang', turn.language);
    state.lang = turn.language;
  }
  if (turn.dir) {
    html.setAttribute('dir', turn.dir);
  }
  if (turn.settings) {
    // While changes are on their way, show what the person chose, not an older reply.
    applySettings(settingsSent ? settingsWanted : turn.settings);
  }
  const picker = q('[data-role="first-language"]');
  if (picker) {
    picker.hidden = turn.step !== firstStep || Boolean(turn.finished);
  }
}

export function changeSetting(input) {
  const change = {};
  if (input.name === 'text_size') {
    change.text_size = input.value;
  } else {
    change[input.name] = input.value === 'on';
  }
  const settings = Object.assign({}, settingsWanted || (state.turn && state.turn.settings) || {}, change);
  settingsWanted = settings;
  settingsSent += 1;
  applySettings(settings); // at once; the server's turn confirms it
  state.redraw = true;
  emit('settings', change, (ack) => {
    settingsSent -= 1;
    if (!ack || !ack.ok) {
      state.redraw = false;
      if (stopIfClosed(ack)) {
        return;
      }
    }
    if (!settingsSent) {
      settingsWanted = null;
      if (state.turn) {
        applySettings(state.turn.settings || {}); // the server's word, once all have arrived
      }
    }
  });
}

// ---- Language -----------------------------------------------------------------------------------

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

// ---- Read aloud ---------------------------------------------------------------------------------

const speech = window.speechSynthesis || null;
let speaking = false;

function voiceFor(lang) {
  if (!speech || typeof speech.getVoices !== 'function' || !lang) {
    return null;
  }
  const want = String(lang).toLowerCase();
  return (speech.getVoices() || []).find((voice) => {
    const have = String(voice.lang || '').toLowerCase().replace('_', '-');
    return have === want || have.indexOf(want + '-') === 0;
  }) || null;
}

function readButton() {
  return card.querySelector('[data-action="read-aloud"]');
}

export function updateReadAloud() {
  const button = readButton();
  if (!button) {
    return;
  }
  const can = Boolean(window.SpeechSynthesisUtterance && voiceFor(state.lang));
  button.parentNode.hidden = !can;
  button.textContent = speaking ? t('stop-reading') : t('read-aloud');
}

export function stopSpeaking() {
  if (speaking && speech) {
    try {
      speech.cancel();
    } catch (e) { /* nothing to stop */ }
  }
  speaking = false;
  const button = readButton();
  if (button) {
    button.textContent = t('read-aloud');
  }
}

function speechText(turn) {
  const lines = (turn.messages || []).slice();
  if (turn.input && (turn.input.kind === 'choice' || turn.input.kind === 'multi')) {
    (turn.input.options || []).forEach((option) => lines.push(option.label));
  }
  return lines.join('\n');
}

export function readAloud() {
  if (speaking) {
    stopSpeaking();
    return;
  }
  const voice = voiceFor(state.lang);
  if (!voice || !state.turn) {
    updateReadAloud();
    return;
  }
  const utterance = new window.SpeechSynthesisUtterance(speechText(state.turn));
  utterance.lang = state.lang; // the conversation's language, from the turn
  try {
    utterance.voice = voice;
  } catch (e) { /* the browser picks a voice for utterance.lang */ }
  utterance.onend = utterance.onerror = () => {
    speaking = false;
    updateReadAloud();
  };
  try {
    speech.cancel();
  } catch (e) { /* nothing was speaking */ }
  speaking = true;
  updateReadAloud();
  speech.speak(utterance);
}

// Voices often arrive after the page: show the button once one speaks the language.
export function listenForVoices() {
  if (!speech) {
    return;
  }
  if (typeof speech.addEventListener === 'function') {
    speech.addEventListener('voiceschanged', updateReadAloud);
  } else if ('onvoiceschanged' in speech) {
    speech.onvoiceschanged = updateReadAloud;
  }
}
