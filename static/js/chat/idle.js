/* The idle warning (WCAG 2.2.1). Test hooks: window.__appIdleSeconds and __appWarnSeconds replace
   data-idle-seconds and data-warn-seconds here (the server keeps its own clock). */

import { canDialog, closeDialog, endHere, openDialog } from './safety.js';
import { clear, connected, el, q, root, socket, state } from './shared.js';

const idle = {
  limit: 1200,
  warn: 120,
  fixed: false,
  last: Date.now(), // the last time the server heard from us
  deadline: 0,
  timer: null,
  tick: null,
  open: false,
  spoken: null
};

function seconds(override, attribute, fallback) {
  if (typeof override === 'number' && override > 0) {
    return override;
  }
  return parseInt(root.getAttribute(attribute), 10) || fallback;
}

function dialog() {
  return q('[data-role="idle-dialog"]');
}

export function noteActivity() {
  idle.last = Date.now();
  if (!idle.open) {
    scheduleWarning();
  }
}

export function scheduleWarning() {
  if (idle.timer) {
    clearTimeout(idle.timer);
    idle.timer = null;
  }
  if (state.stopped || state.finished) {
    return;
  }
  const lead = Math.min(idle.warn, idle.limit);
  const wait = idle.last + (idle.limit - lead) * 1000 - Date.now();
  idle.timer = setTimeout(openIdleWarning, Math.max(0, wait));
}

function formatTime(left) {
  const unit = left >= 60 ? 'minute' : 'second';
  const amount = left >= 60 ? Math.ceil(left / 60) : left;
  try {
    const format = new Intl.NumberFormat(state.lang, { style: 'unit', unit: unit, unitDisplay: 'long' });
    return format.format(amount);
  } catch (e) {
    return Math.floor(left / 60) + ':' + ('0' + (left % 60)).slice(-2);
  }
}

// How often the time left is read out: each minute, then at 30, 20 and 10 seconds.
function spokenStep(left) {
  if (left > 60) {
    return 'm' + Math.ceil(left / 60);
  }
  return left > 30 ? 's60' : left > 20 ? 's30' : left > 10 ? 's20' : 's10';
}

function drawCountdown(box, left) {
  const parts = (box.getAttribute('data-i18n-countdown') || '{time}').split('{time}');
  const text = box.querySelector('[data-role="countdown-text"]');
  const time = formatTime(left);
  clear(text);
  text.appendChild(document.createTextNode(parts[0]));
  if (parts.length > 1) {
    text.appendChild(el('strong', 'app-countdown', time));
    text.appendChild(document.createTextNode(parts.slice(1).join('{time}')));
  }
  const step = spokenStep(left);
  if (step !== idle.spoken) {
    idle.spoken = step;
    box.querySelector('[data-role="countdown-live"]').textContent = parts.join(time);
  }
}

function countdown() {
  const left = Math.ceil((idle.deadline - Date.now()) / 1000);
  if (left <= 0) {
    endHere('timed-out');
    return;
  }
  const box = dialog();
  if (box) {
    drawCountdown(box, left);
  }
}

function openIdleWarning() {
  idle.timer = null;
  if (state.stopped || state.finished || idle.open) {
    return;
  }
  idle.deadline = idle.last + idle.limit * 1000;
  if (idle.deadline <= Date.now()) {
    endHere('timed-out'); // the tablet slept through the warning
    return;
  }
  const box = dialog();
  idle.open = true;
  idle.spoken = null;
  if (box) {
    drawCountdown(box, Math.ceil((idle.deadline - Date.now()) / 1000));
  }
  idle.tick = setInterval(countdown, 1000);
  if (canDialog(box)) {
    // On top of everything, the help dialog included.
    openDialog(box, document.activeElement, () => {
      if (idle.open) {
        moreTime(); // closed with Escape: the person is here
      }
    });
  }
}

function closeIdleWarning() {
  idle.open = false;
  if (idle.tick) {
    clearInterval(idle.tick);
    idle.tick = null;
  }
  closeDialog(dialog());
}

export function moreTime() {
  closeIdleWarning();
  noteActivity();
  if (!connected()) {
    return;
  }
  socket.emit('more_time', {}, (ack) => {
    if (ack && ack.ok) {
      if (!idle.fixed && ack.idle_seconds > 0) {
        idle.limit = ack.idle_seconds;
        scheduleWarning();
      }
    } else if (ack && ack.code === 'closed') {
      endHere('timed-out');
    }
  });
}

// Anything the person does counts as being here: the server hears of it now and then.
function onInteraction() {
  if (idle.open || state.stopped || state.finished || !connected()) {
    return;
  }
  const every = Math.min(60, idle.limit / 4) * 1000;
  if (Date.now() - idle.last > every) {
    noteActivity();
    socket.emit('more_time', {}, () => {});
  }
}

export function stopTimers() {
  if (idle.timer) {
    clearTimeout(idle.timer);
    idle.timer = null;
  }
  if (idle.tick) {
    clearInterval(idle.tick);
    idle.tick = null;
  }
  idle.open = false;
}

export function startIdleClock() {
  idle.limit = seconds(window.__appIdleSeconds, 'data-idle-seconds', 1200);
  idle.warn = seconds(window.__appWarnSeconds, 'data-warn-seconds', 120);
  idle.fixed = typeof window.__appIdleSeconds === 'number';
  ['keydown', 'pointerdown', 'touchstart', 'input'].forEach((name) => {
    document.addEventListener(name, onInteraction, { capture: true, passive: true });
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !state.stopped && !state.finished) {
      if (idle.open) {
        countdown();
      } else {
        scheduleWarning();
      }
    }
  });
}
