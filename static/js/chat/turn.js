/* Each `turn`: the page around it, the log, and the question card (`turn.card`: HTML from
   app/templates/_card.html, the plain page's own template). */

import { applyHistory, hideLog, pairs, removePairs, send } from './answers.js';
import { stopTimers } from './idle.js';
import { applyPage, stopSpeaking, updateReadAloud } from './settings.js';
import { card, clear, el, q, remove, root, socket, state, statusBox, t } from './shared.js';

export function onTurn(turn) {
  if (state.stopped || !turn || !turn.input) {
    return;
  }
  if (state.switching) {
    state.switching.turn = turn; // drawn once the page's own words have changed too
    return;
  }
  const first = !state.rendered;
  const moving = state.moving;
  const pending = state.pending;
  const redraw = state.redraw;
  const keep = state.redrawPrefill;
  state.redraw = false;
  state.redrawPrefill = null;
  state.moving = null;
  state.turn = turn;
  applyPage(turn);

  if (Array.isArray(turn.history)) {
    applyHistory(turn.history);
  } else if (moving === 'back') {
    removePairs(turn.step, true); // back to this question: its answer is open again
  }

  if (turn.finished) {
    state.finished = true;
    state.rendered = true;
    stopTimers();
    clearError();
    showStatus('');
    drawFinished(turn);
    focusQuestion();
    if (!pending) {
      socket.disconnect();
    }
    return;
  }

  if (pending && pending.step === turn.step) {
    // Back after a break with this answer unacknowledged: sent again (same id); the reply moves on.
    send();
    return;
  }

  if (!first && !moving && !pending && state.shown === turn.step) {
    if (redraw || turn.card !== state.drawn) {
      // In another language or reading level: drawn again, keeping what was typed or ticked, and
      // focus where the person is (on the setting they changed).
      const kept = keep || readForm();
      drawCard(turn, kept && kept.step === turn.step ? kept : null);
      return;
    }
    setBusy(false); // the same question again (reconnected): keep what is being typed
    return;
  }

  let prefill = null;
  const hadFocus = card.contains(document.activeElement);
  if (first) {
    const server = readForm();
    if (server && server.step === turn.step) {
      prefill = server;
    }
  }
  drawCard(turn, prefill);
  state.rendered = true;
  if (pending) {
    setBusy(true);
  }
  if ((!first && !redraw) || hadFocus) {
    focusQuestion();
  }
  if (prefill && prefill.error) {
    showError(prefill.error);
  }
}

// ---- The card -----------------------------------------------------------------------------------

// Parsed inert (a <template>: nothing in it runs). Jinja escaped all the person typed; the script
// itself never makes HTML from text.
function fragment(html) {
  const holder = document.createElement('template');
  holder.innerHTML = html || '';
  return holder.content;
}

function put(turn, className) {
  stopSpeaking();
  clear(card);
  card.className = className;
  card.appendChild(fragment(turn.card));
  state.heading = card.querySelector('h1');
  state.shown = turn.step;
  root.setAttribute('data-step', turn.step);
}

function keep(prefill) {
  card.querySelectorAll('input[name="value"]').forEach((input) => {
    input.checked = prefill.checked.indexOf(input.value) !== -1;
  });
  if (prefill.view) {
    card.querySelectorAll('input[name="view"]').forEach((input) => {
      input.checked = input.value === prefill.view;
    });
  }
  const area = card.querySelector('textarea');
  if (area && prefill.text) {
    area.value = prefill.text;
  }
}

// `prefill`: what was typed or ticked before the card was drawn again (readForm).
export function drawCard(turn, prefill) {
  put(turn, 'app-card');
  if (prefill) {
    keep(prefill);
  }
  state.drawn = turn.card; // a turn for the same step that reads otherwise is drawn again
  updateReadAloud();
}

export function drawFinished(turn) {
  hideLog(); // as on the page the server shows after finishing
  put(turn, 'app-finished');
  hideAround();
  root.setAttribute('data-finished', 'true');
}

// Once the conversation cannot go on here, the things around it go too.
export function hideAround() {
  ['[data-role="reassure"]', '[data-role="first-language"]', '[data-swap="toolbar"]'].forEach((selector) => {
    const node = q(selector);
    if (node) {
      node.hidden = true;
    }
  });
}

export function drawRefused(message) {
  stopSpeaking();
  clear(card);
  card.className = 'app-card';
  const notice = el('p', 'app-notice', message || t('unavailable'));
  notice.setAttribute('role', 'alert');
  notice.setAttribute('data-role', 'refused');
  card.appendChild(notice);
  hideAround();
  state.shown = null;
}

// Bring the new question into view, with the answer just given above it when both fit, and put
// keyboard and screen-reader focus on its heading.
export function focusQuestion() {
  const heading = state.heading;
  if (!heading) {
    return;
  }
  let target = card;
  const shown = pairs();
  const last = shown[shown.length - 1];
  const header = q('.app-header');
  const room = window.innerHeight - (header ? header.offsetHeight : 0);
  if (last && last.getBoundingClientRect().height + card.getBoundingClientRect().height + 32 < room) {
    target = last;
  }
  try {
    target.scrollIntoView({ block: 'start', behavior: 'auto' }); // no sliding: calmer, and sure
    heading.focus({ preventScroll: true });
  } catch (e) {
    heading.focus();
  }
}

// What the question on screen holds (typed, ticked), so drawing it again does not lose it.
export function readForm() {
  const form = card.querySelector('form[data-role="question"]');
  if (!form) {
    return null;
  }
  const stepInput = form.querySelector('input[name="step"]');
  const area = form.querySelector('textarea');
  const checked = Array.from(form.querySelectorAll('input[name="value"]:checked'), (input) => input.value);
  const view = form.querySelector('input[name="view"]:checked');
  const error = card.querySelector('[data-role="error"] a, [data-role="error"] p');
  return {
    step: form.getAttribute('data-step') || (stepInput && stepInput.value),
    text: area ? area.value : '',
    checked: checked,
    view: view ? view.value : null, // whose view, where the card asks it
    error: error ? error.textContent : null
  };
}

// ---- Status and problems --------------------------------------------------------------------------

export function showStatus(message) {
  if (statusBox && statusBox.textContent !== message) {
    statusBox.textContent = message;
  }
}

export function clearError() {
  card.querySelectorAll('[data-role="error"]').forEach(remove);
  card.querySelectorAll('.app-fieldset--error, .app-form-group--error').forEach((group) => {
    group.classList.remove('app-fieldset--error', 'app-form-group--error');
  });
  const described = card.querySelector('[data-error-described]');
  if (described) {
    described.setAttribute('aria-describedby', described.getAttribute('data-error-described'));
    described.removeAttribute('data-error-described');
    if (!described.getAttribute('aria-describedby')) {
      described.removeAttribute('aria-describedby');
    }
  }
}

// A calm message next to the question, read out once (role="alert"); the question stays as it was.
export function showError(message) {
  clearError();
  const box = el('p', 'app-error-message', message || t('unavailable'));
  box.setAttribute('role', 'alert');
  box.setAttribute('data-role', 'error');
  box.id = 'chat-error-' + (++state.seq);
  const fieldset = card.querySelector('.app-fieldset');
  const group = card.querySelector('.app-form-group');
  if (fieldset) {
    fieldset.classList.add('app-fieldset--error');
    fieldset.insertBefore(box, fieldset.querySelector('.app-options'));
  } else if (group) {
    group.classList.add('app-form-group--error');
    const field = group.querySelector('textarea');
    field.parentNode.insertBefore(box, field);
    field.setAttribute('data-error-described', field.getAttribute('aria-describedby') || '');
    field.setAttribute('aria-describedby', box.id);
  } else {
    const actions = card.querySelector('.app-actions');
    if (actions) {
      actions.parentNode.insertBefore(box, actions);
    } else {
      card.appendChild(box);
    }
  }
}

// While waiting, the buttons stay focusable but say they are not available (and do nothing).
export function setBusy(on) {
  card.querySelectorAll('button').forEach((button) => {
    if (button.getAttribute('data-action') === 'read-aloud') {
      return;
    }
    if (on) {
      button.setAttribute('aria-disabled', 'true');
    } else {
      button.removeAttribute('aria-disabled');
    }
  });
  if (on) {
    card.setAttribute('aria-busy', 'true');
  } else {
    card.removeAttribute('aria-busy');
  }
}
