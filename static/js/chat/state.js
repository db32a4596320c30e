/*
 * What every part of the chat shares: the page's regions, the words it needs, and where it is.
 *
 * Words the script needs that are not in a turn come from data-i18n-* on the root, translated by the
 * server (and fetched again after a change of language: language.js).
 */

export const root = document.querySelector('[data-module="app-chat"]');
export const log = root && root.querySelector('[data-role="log"]'); // the list of lines
export const card = root && root.querySelector('[data-role="current"]');
export const statusBox = root && root.querySelector('[data-role="status"]');
export const logRegion = (root && root.querySelector('[data-role="log-region"]')) || log; // role="log"
export const firstStep = (root && root.getAttribute('data-first-step')) || 'welcome';

export const state = {
  turn: null, // the latest turn from the server
  shown: null, // the step whose card is on screen
  drawn: null, // what that card says (card.js: signature)
  heading: null, // where focus goes for the card on screen
  rendered: false, // has the script drawn a card yet (the first is the server's own)
  pending: null, // {id, step, value, pair, inFlight}: sent, not yet acknowledged
  moving: null, // 'back' or 'change' while waiting for the server
  switching: null, // {lang, turn, focusId, prefill} while the language changes
  redraw: false, // the next turn redraws the current question in place (language, settings)
  redrawPrefill: null,
  lang: document.documentElement.getAttribute('lang') || 'en',
  finished: false,
  stopped: false,
  seq: 0
};

export function t(key) {
  return root.getAttribute('data-i18n-' + key) || '';
}

// The page-wide helpers of static/js/app.js ("Exit this page", the header's height), a plain script.
export function app() {
  const App = window.App = window.App || {};
  App.exitHooks = App.exitHooks || [];
  return App;
}

export function busy() {
  return Boolean(state.pending || state.moving || state.switching);
}
