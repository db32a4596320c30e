/*
 * The log of what was said, and the saved state of each answer.
 *
 * The log (role="log") only grows: old lines are not drawn again, except from a fresh `history`, and
 * then quietly (aria-live="off" and aria-busy="true" while it is redrawn), so a screen reader hears
 * only the newest message. An answer shows as "Saving…" until the server acknowledges it.
 */

import { clear, el, remove } from './dom.js';
import { log, logRegion, state, t } from './state.js';

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

// Redraw the log without a screen reader reading all of it out again: the live region is off and
// busy while the lines change, and back on (for the next new line) a moment later.
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

// A fresh history (on connecting, reconnecting, or in a new language) is the truth: draw the log
// from it, unless it already says exactly that (then nothing is drawn, so nothing is read out).
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

// Nothing the person said stays on the screen (finished, stopped, timed out: a shared tablet, or
// someone looking over their shoulder).
export function hideLog() {
  clear(log);
  log.hidden = true;
  logRegion.hidden = true;
}
