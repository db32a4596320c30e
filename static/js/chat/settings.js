/*
 * The page around the conversation: its language and direction, and the reading settings (Easy
 * Read, text size, high contrast), which are classes on <html>. A change is shown at once and sent
 * (`settings`); the turn that comes back is the question as it now reads.
 */

import { q } from './dom.js';
import { stopIfClosed } from './safety.js';
import { emit } from './socket.js';
import { app, firstStep, state } from './state.js';

const SIZES = ['large', 'larger'];
let settingsSent = 0; // settings changes not yet acknowledged
let settingsWanted = null; // what they add up to

function applySettings(settings) {
  const html = document.documentElement;
  SIZES.forEach((size) => html.classList.toggle('app-text-' + size, settings.text_size === size));
  html.classList.toggle('app-contrast', Boolean(settings.high_contrast));
  html.classList.toggle('app-easy-read', Boolean(settings.easy_read));
  const form = q('[data-role="settings-form"]');
  if (form) {
    const values = {
      easy_read: settings.easy_read ? 'on' : 'off',
      text_size: settings.text_size || 'normal',
      high_contrast: settings.high_contrast ? 'on' : 'off'
    };
    Object.keys(values).forEach((name) => {
      const input = form.querySelector('input[name="' + name + '"][value="' + values[name] + '"]');
      if (input && !input.checked) {
        input.checked = true;
      }
    });
  }
  const App = app();
  if (App.measureHeader) {
    App.measureHeader();
  }
}

export function applyPage(turn) {
  const html = document.documentElement;
  if (turn.language) {
    html.setAttribute('lang', turn.language);
    state.lang = turn.language;
  }
  if (turn.dir) {
    html.setAttribute('dir', turn.dir);
  }
  if (turn.settings) {
    // While changes are on their way, the screen shows what the person chose, not an older reply.
    applySettings(settingsSent ? settingsWanted : turn.settings);
  }
  const picker = q('[data-role="first-language"]');
  if (picker) {
    picker.hidden = turn.step !== firstStep || Boolean(turn.finished);
  }
}

export function changeSetting(input) {
  const change = {};
  if (input.name === 'text_size') {
    change.text_size = input.value;
  } else {
    change[input.name] = input.value === 'on';
  }
  const settings = Object.assign({}, settingsWanted || (state.turn && state.turn.settings) || {}, change);
  settingsWanted = settings;
  settingsSent += 1;
  applySettings(settings); // at once; the server's turn confirms it
  state.redraw = true;
  emit('settings', change, (ack) => {
    settingsSent -= 1;
    if (!ack || !ack.ok) {
      state.redraw = false;
      if (stopIfClosed(ack)) {
        return;
      }
    }
    if (!settingsSent) {
      settingsWanted = null;
      if (state.turn) {
        applySettings(state.turn.settings || {}); // the server's word, once all have arrived
      }
    }
  });
}
