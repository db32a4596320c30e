/* What the chat's parts share: the page's regions, the state, its words (data-i18n-*, translated
   by the server), the socket, and DOM helpers (text goes in as textContent, never as HTML). */

import { io } from '../../vendor/socket.io.esm.min.js';
import { noteActivity } from './idle.js';

export const root = document.querySelector('[data-module="app-chat"]');
export const log = root && root.querySelector('[data-role="log"]');
export const card = root && root.querySelector('[data-role="current"]');
export const statusBox = root && root.querySelector('[data-role="status"]');
export const logRegion = (root && root.querySelector('[data-role="log-region"]')) || log; // role="log"
export const firstStep = (root && root.getAttribute('data-first-step')) || 'welcome';

export const state = {
  turn: null, // the latest turn from the server
  shown: null, // the step whose card is on screen
  drawn: null, // what that card says (signature)
  heading: null, // where focus goes
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

export function busy() {
  return Boolean(state.pending || state.moving || state.switching);
}

// static/js/app.js, a plain script on every page: "Exit this page" and the header's height.
export function app() {
  const App = window.App = window.App || {};
  App.exitHooks = App.exitHooks || [];
  return App;
}

// ---- The socket (no code is sent: the signed session cookie names the conversation) -------------

export let socket = null;

export function open() {
  socket = io('/chat', { auth: {} });
}

export function connected() {
  return Boolean(socket && socket.connected);
}

// Everything sent is activity: the server's idle clock starts again.
export function emit(event, data, ack) {
  noteActivity();
  socket.emit(event, data, ack);
}

// ---- DOM ----------------------------------------------------------------------------------------

export function q(selector) {
  return document.querySelector(selector);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
}

export function remove(node) {
  if (node && node.parentNode) {
    node.parentNode.removeChild(node);
  }
}

export function closest(node, selector) {
  return node && node.nodeType === 1 ? node.closest(selector) : null;
}

export function uuid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
  const hex = Array.from(bytes, (b) => (b + 0x100).toString(16).slice(1)).join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}
