/*
 * Small DOM helpers for the chat. Text only: whatever the server sends or the person types goes in
 * with textContent, never as HTML. (The one HTML the chat inserts is the question card, drawn on the
 * server by app/templates/_card.html, where Jinja escapes everything: see card.js.)
 */

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
  const cryptoObj = window.crypto;
  if (cryptoObj && typeof cryptoObj.randomUUID === 'function') {
    return cryptoObj.randomUUID();
  }
  const bytes = new Uint8Array(16);
  if (cryptoObj && typeof cryptoObj.getRandomValues === 'function') {
    cryptoObj.getRandomValues(bytes);
  } else {
    for (let i = 0; i < 16; i++) {
      bytes[i] = Math.floor(Math.random() * 256);
    }
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
  const hex = Array.from(bytes, (b) => (b + 0x100).toString(16).slice(1)).join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}
