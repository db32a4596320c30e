/*
 * The connection: one Socket.IO socket on the namespace /chat. No code is sent: the signed session
 * cookie names the conversation (README, chat protocol).
 */

import { noteActivity } from './idle.js';

export let socket = null;

export function open() {
  socket = window.io('/chat', { auth: {} });
  return socket;
}

export function connected() {
  return Boolean(socket && socket.connected);
}

// Everything sent to the server is activity: the server's idle clock starts again.
export function emit(event, data, ack) {
  noteActivity();
  socket.emit(event, data, ack);
}
