/*
 * Answering, and moving back or to a change: what is sent, and what becomes of it.
 *
 * An answer shows in the log as "Saving…" until the server acknowledges it (after it is committed).
 * One that is not acknowledged before the connection drops is sent again, with the same id, when it
 * comes back (connection.js): the server stores it once.
 */

import { clearError, drawCard, focusQuestion, setBusy, showError } from './card.js';
import { card, log, state, busy, t } from './state.js';
import { remove, uuid } from './dom.js';
import { makePair, removePairs, setSaved } from './log.js';
import { stopSpeaking } from './read-aloud.js';
import { stopIfClosed } from './safety.js';
import { connected, emit, socket } from './socket.js';

function isQuestion(kind) {
  return kind === 'choice' || kind === 'multi' || kind === 'text';
}

export function send() {
  const pending = state.pending;
  if (!pending || pending.inFlight || !connected()) {
    return; // sent when the connection is back
  }
  pending.inFlight = true;
  emit('answer', { id: pending.id, step: pending.step, value: pending.value }, (ack) => {
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
    drawCard(state.turn, null); // a held turn (after reconnecting) is now the one to show
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

// The answer as the log shows it: the same words the server will show after a reload.
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
  const pending = { id: uuid(), step: turn.step, value: value, pair: null, inFlight: false };
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
