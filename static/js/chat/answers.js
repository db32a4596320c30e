/* Answering, Back and Change, and the log of what was said. An answer is "Saving…" until the
   server has committed it; one unacknowledged when the connection drops is sent again (same id). */

import { stopIfClosed } from './safety.js';
import { stopSpeaking } from './settings.js';
import {
  busy, card, clear, connected, el, emit, log, logRegion, remove, socket, state, t, uuid
} from './shared.js';
import { clearError, drawCard, focusQuestion, setBusy, showError } from './turn.js';

function isQuestion(kind) {
  return kind === 'choice' || kind === 'multi' || kind === 'text';
}

export function send() {
  const pending = state.pending;
  if (!pending || pending.inFlight || !connected()) {
    return; // sent when the connection is back
  }
  pending.inFlight = true;
  const data = { id: pending.id, step: pending.step, value: pending.value };
  if (pending.view) {
    data.view = pending.view; // sent again as it was: a retry with another view would be a conflict
  }
  emit('answer', data, (ack) => {
    onAnswerAck(pending, ack);
  });
}

function onAnswerAck(pending, ack) {
  if (state.pending !== pending) {
    return; // a late reply to an earlier try of the same answer
  }
  state.pending = null;
  if (ack && ack.ok) {
    if (pending.pair) {
      setSaved(pending.pair, true);
    }
    if (state.finished) {
      socket.disconnect();
      return;
    }
    setBusy(false);
    if (state.shown === pending.step) {
      emit('resume', {}, () => {}); // no next question came: ask where we are
    }
    return;
  }
  remove(pending.pair);
  setBusy(false);
  if (stopIfClosed(ack)) {
    return;
  }
  if (state.turn && state.shown !== state.turn.step && !state.finished) {
    drawCard(state.turn, null); // a turn held while reconnecting
    focusQuestion();
  }
  showError(ack && ack.error);
}

function valueOf(turn) {
  const kind = turn.input.kind;
  const form = card.querySelector('form');
  if (kind === 'choice') {
    const picked = form.querySelector('input[name="value"]:checked');
    return picked ? picked.value : null;
  }
  if (kind === 'multi') {
    return Array.from(form.querySelectorAll('input[name="value"]:checked'), (input) => input.value);
  }
  if (kind === 'text') {
    const area = form.querySelector('textarea');
    return area && area.value.trim() ? area.value : null;
  }
  return kind === 'review' ? 'confirm' : null;
}

// Whose view the answer gives, where the card asks it (someone answering for the person); else
// null, and nothing is sent.
function viewOf() {
  const picked = card.querySelector('[data-role="view"] input[name="view"]:checked');
  return picked ? picked.value : null;
}

// In the same words the server shows after a reload.
function shownAnswer(turn, value) {
  const kind = turn.input.kind;
  if (value === null || value === '' || (Array.isArray(value) && !value.length)) {
    return turn.input.optional ? t('skipped') : null;
  }
  const labels = {};
  (turn.input.options || []).forEach((option) => {
    labels[option.value] = option.label;
  });
  if (kind === 'choice') {
    return labels[value] || value;
  }
  if (kind === 'multi') {
    return value.map((v) => labels[v] || v).join(', ');
  }
  return String(value).trim();
}

export function submitAnswer(skip) {
  const turn = state.turn;
  if (busy() || state.finished || state.stopped || !turn || state.shown !== turn.step) {
    return;
  }
  clearError();
  stopSpeaking();
  const kind = turn.input.kind;
  const value = skip ? null : valueOf(turn);
  const pending = { id: uuid(), step: turn.step, value: value, view: viewOf(), pair: null, inFlight: false };
  const messages = turn.messages || [];
  if (isQuestion(kind)) {
    const words = shownAnswer(turn, value);
    if (words !== null) {
      removePairs(turn.step, false); // a changed answer replaces the one shown before
      pending.pair = makePair(turn.step, messages[messages.length - 1] || '', words, false);
      pending.pair.classList.add('app-chat__pair--new');
      log.appendChild(pending.pair);
    }
  }
  state.pending = pending;
  setBusy(true);
  send();
}

// `back` one question, or `change` one answer from "check your answers".
export function move(event, data) {
  if (busy() || state.finished || state.stopped || !connected()) {
    return;
  }
  clearError();
  state.moving = event;
  setBusy(true);
  emit(event, data, (ack) => {
    const stillMoving = state.moving === event;
    state.moving = null;
    setBusy(Boolean(state.pending));
    if (ack && ack.ok) {
      if (stillMoving) {
        emit('resume', {}, () => {}); // the new turn did not come: ask for it
      }
      return;
    }
    if (!stopIfClosed(ack)) {
      showError(ack && ack.error);
    }
  });
}

// ---- The log ------------------------------------------------------------------------------------

function markSkipped(pair, answer) {
  const bubble = pair.querySelector('.app-bubble--answer');
  if (bubble) {
    bubble.classList.toggle('app-bubble--skipped', answer === t('skipped'));
  }
}

export function setSaved(pair, saved) {
  const mark = pair.querySelector('.app-saved');
  mark.textContent = saved ? '\u2713 ' + t('saved') : t('saving');
  mark.className = saved ? 'app-saved' : 'app-saved app-saved--saving';
  pair.setAttribute('data-saved', saved ? 'true' : 'false');
}

export function makePair(step, question, answer, saved) {
  const pair = el('li', 'app-chat__pair');
  pair.setAttribute('data-step', step);
  pair.appendChild(el('p', 'app-bubble app-bubble--question', question));
  const bubble = el('p', 'app-bubble app-bubble--answer');
  bubble.appendChild(el('bdi', 'app-bubble__text', answer)); // the person's words keep their direction
  bubble.appendChild(document.createTextNode(' '));
  bubble.appendChild(el('span', 'app-saved'));
  pair.appendChild(bubble);
  markSkipped(pair, answer);
  setSaved(pair, saved);
  return pair;
}

export function pairs() {
  return Array.from(log.querySelectorAll('.app-chat__pair'));
}

function textOf(pair, selector) {
  const node = pair.querySelector(selector);
  return node ? node.textContent : null;
}

function logMatches(history) {
  const shown = pairs();
  if (shown.length !== history.length) {
    return false;
  }
  return shown.every((pair, i) => {
    const said = history[i];
    return (
      pair.getAttribute('data-step') === said.step &&
      pair.getAttribute('data-saved') !== 'false' &&
      textOf(pair, '.app-bubble--question') === said.question &&
      textOf(pair, '.app-bubble--answer bdi') === said.answer
    );
  });
}

// The log (role="log") only grows; redrawn, it is quiet meanwhile, so a screen reader does not read
// it all out again.
let quietTimer = null;

function quietly(change) {
  logRegion.setAttribute('aria-live', 'off');
  logRegion.setAttribute('aria-busy', 'true');
  change();
  if (quietTimer) {
    clearTimeout(quietTimer);
  }
  quietTimer = setTimeout(() => {
    quietTimer = null;
    logRegion.removeAttribute('aria-busy');
    logRegion.setAttribute('aria-live', 'polite');
  }, 250);
}

// A fresh history (connecting, reconnecting, another language) is the truth: drawn unless the log
// already says just that.
export function applyHistory(history) {
  const pending = state.pending;
  const pendingPair = pending && pending.pair;
  remove(pendingPair);
  if (!logMatches(history)) {
    quietly(() => {
      clear(log);
      const fragment = document.createDocumentFragment();
      history.forEach((said) => {
        fragment.appendChild(makePair(said.step, said.question, said.answer, true));
      });
      log.appendChild(fragment);
    });
  }
  if (pendingPair) {
    removePairs(pending.step, false);
    log.appendChild(pendingPair);
  }
}

// Take a step's lines out of the log (and, going back, everything said after it).
export function removePairs(step, andAfter) {
  let found = false;
  pairs().forEach((pair) => {
    if (pair.getAttribute('data-step') === step) {
      found = true;
      remove(pair);
    } else if (found && andAfter) {
      remove(pair);
    }
  });
}

// Finished, stopped or timed out: nothing the person said stays on a shared screen.
export function hideLog() {
  clear(log);
  log.hidden = true;
  logRegion.hidden = true;
}
