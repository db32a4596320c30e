/*
 * Each `turn` the server sends: where the person is now. It says what the page around the question
 * reads like (language, direction, settings), what was said so far (`history`, when it comes), and
 * carries the question card, drawn on the server (card.js).
 */

import { send } from './answers.js';
import { clearError, drawCard, drawFinished, focusQuestion, readForm, setBusy, showError, showStatus,
  signature } from './card.js';
import { stopTimers } from './idle.js';
import { applyHistory, removePairs } from './log.js';
import { applyPage } from './settings.js';
import { socket } from './socket.js';
import { card, state } from './state.js';

export function onTurn(turn) {
  if (state.stopped || !turn || !turn.input) {
    return;
  }
  if (state.switching) {
    state.switching.turn = turn; // drawn once the page's own words have changed language too
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
    // Back after a break, with this question's answer still unacknowledged: it is sent again
    // (same id), and the server's reply moves us on. Keep the question as it is meanwhile.
    send();
    return;
  }

  if (!first && !moving && !pending && state.shown === turn.step) {
    if (redraw || signature(turn) !== state.drawn) {
      // The same question in another language or reading level: drawn again in place, with what
      // was typed or ticked kept, and focus left where the person is (on the setting they changed).
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
