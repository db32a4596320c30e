/*
 * The socket's own events: turns arrive, the connection drops and comes back, or is refused.
 * "Reconnecting… your saved answers are safe" shows while the client library keeps trying.
 */

import { send } from './answers.js';
import { setBusy, showStatus } from './card.js';
import { refuse } from './safety.js';
import { socket } from './socket.js';
import { state, t } from './state.js';
import { onTurn } from './turn.js';

export function watchConnection() {
  socket.on('turn', onTurn);

  socket.on('connect', () => {
    showStatus('');
    send(); // an answer left unacknowledged when the connection dropped: same id, stored once
  });

  socket.on('disconnect', (reason) => {
    if (state.pending) {
      state.pending.inFlight = false;
    }
    if (state.moving) {
      state.moving = null;
      setBusy(Boolean(state.pending));
    }
    if (state.finished || state.stopped || reason === 'io client disconnect') {
      return;
    }
    if (reason === 'io server disconnect') {
      // The server ended this connection (perhaps the invitation was closed). Ask once more: if
      // the code can no longer be used, the refusal says so calmly.
      socket.connect();
      return;
    }
    showStatus(t('reconnecting'));
  });

  socket.on('connect_error', (err) => {
    if (state.finished || state.stopped) {
      return;
    }
    if (socket.active) {
      showStatus(t('reconnecting')); // the network, not the code: the client keeps trying
      return;
    }
    // Refused by the server (wrong, expired or finished code): say so and stop trying.
    showStatus('');
    refuse(err && err.message);
  });
}
