/*
 * My Safeguarding Experience: the live chat.
 *
 * Progressive enhancement of app/templates/chat.html. Without JavaScript that page is a plain form,
 * one question per page. With it, this script opens the Socket.IO namespace /chat with the access
 * code and draws every `turn` the server sends into the same page (the protocol is in README.md).
 *
 * Rules kept throughout:
 * - Every string from the server or typed by the person goes in with textContent: never as HTML.
 * - The log (role="log") only grows: old lines are not drawn again, except from a fresh `history`.
 * - An answer shows as "Saving…" until the server acknowledges it; one that is not acknowledged
 *   before the connection drops is sent again, with the same id, when it comes back.
 * - Words the script needs that are not in a turn come from data-i18n-* on the root, translated.
 */
(function () {
  'use strict';

  var root = document.querySelector('[data-module="app-chat"]');
  if (!root || typeof window.io !== 'function') {
    return; // no chat here, or no client library: the plain form keeps working
  }

  var log = root.querySelector('[data-role="log"]');
  var card = root.querySelector('[data-role="current"]');
  var statusBox = root.querySelector('[data-role="status"]');
  var reassure = root.querySelector('[data-role="reassure"]');
  if (!log || !card) {
    return;
  }
  var maxLength = parseInt(root.getAttribute('data-max-length'), 10) || 2000;

  var state = {
    turn: null, // the latest turn from the server
    shown: null, // the step whose card is on screen
    rendered: false, // has the script drawn a card yet (the first is the server's own)
    pending: null, // {id, step, value, pair, inFlight}: sent, not yet acknowledged
    moving: null, // 'back' or 'change' while waiting for the server
    finished: false,
    stopped: false,
    seq: 0
  };

  function t(key) {
    return root.getAttribute('data-i18n-' + key) || '';
  }

  // ---- Small DOM helpers (text only, never HTML) --------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function remove(node) {
    if (node && node.parentNode) {
      node.parentNode.removeChild(node);
    }
  }

  function uuid() {
    var cryptoObj = window.crypto || window.msCrypto;
    if (cryptoObj && typeof cryptoObj.randomUUID === 'function') {
      return cryptoObj.randomUUID();
    }
    var bytes = new Uint8Array(16);
    var i;
    if (cryptoObj && typeof cryptoObj.getRandomValues === 'function') {
      cryptoObj.getRandomValues(bytes);
    } else {
      for (i = 0; i < 16; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
    var hex = [];
    for (i = 0; i < 16; i++) {
      hex.push((bytes[i] + 0x100).toString(16).slice(1));
    }
    return (
      hex.slice(0, 4).join('') + '-' + hex.slice(4, 6).join('') + '-' + hex.slice(6, 8).join('') +
      '-' + hex.slice(8, 10).join('') + '-' + hex.slice(10, 16).join('')
    );
  }

  // ---- The log ----------------------------------------------------------------------------------------

  function markSkipped(pair, answer) {
    var bubble = pair.querySelector('.app-bubble--answer');
    if (bubble) {
      bubble.classList.toggle('app-bubble--skipped', answer === t('skipped'));
    }
  }

  function setSaved(pair, saved) {
    var mark = pair.querySelector('.app-saved');
    mark.textContent = saved ? '\u2713 ' + t('saved') : t('saving');
    mark.className = saved ? 'app-saved' : 'app-saved app-saved--saving';
    pair.setAttribute('data-saved', saved ? 'true' : 'false');
  }

  function makePair(step, question, answer, saved) {
    var pair = el('li', 'app-chat__pair');
    pair.setAttribute('data-step', step);
    pair.appendChild(el('p', 'app-bubble app-bubble--question', question));
    var bubble = el('p', 'app-bubble app-bubble--answer');
    bubble.appendChild(el('bdi', 'app-bubble__text', answer)); // the person's words keep their direction
    bubble.appendChild(document.createTextNode(' '));
    bubble.appendChild(el('span', 'app-saved'));
    pair.appendChild(bubble);
    markSkipped(pair, answer);
    setSaved(pair, saved);
    return pair;
  }

  function pairs() {
    return Array.prototype.slice.call(log.querySelectorAll('.app-chat__pair'));
  }

  function textOf(pair, selector) {
    var node = pair.querySelector(selector);
    return node ? node.textContent : null;
  }

  function logMatches(history) {
    var shown = pairs();
    if (shown.length !== history.length) {
      return false;
    }
    for (var i = 0; i < shown.length; i++) {
      var said = history[i];
      if (
        shown[i].getAttribute('data-step') !== said.step ||
        shown[i].getAttribute('data-saved') === 'false' ||
        textOf(shown[i], '.app-bubble--question') !== said.question ||
        textOf(shown[i], '.app-bubble--answer bdi') !== said.answer
      ) {
        return false;
      }
    }
    return true;
  }

  // A fresh history (on connecting, or reconnecting) is the truth: draw the log from it, unless it
  // already says exactly that (then nothing is drawn, so nothing is read out again).
  function applyHistory(history) {
    var pending = state.pending;
    var pendingPair = pending && pending.pair;
    remove(pendingPair);
    if (!logMatches(history)) {
      clear(log);
      var fragment = document.createDocumentFragment();
      history.forEach(function (said) {
        fragment.appendChild(makePair(said.step, said.question, said.answer, true));
      });
      log.appendChild(fragment);
    }
    if (pendingPair) {
      removePairs(pending.step, false);
      log.appendChild(pendingPair);
    }
  }

  // Take a step's lines out of the log (and, going back, everything said after it).
  function removePairs(step, andAfter) {
    var found = false;
    pairs().forEach(function (pair) {
      if (pair.getAttribute('data-step') === step) {
        found = true;
        remove(pair);
      } else if (found && andAfter) {
        remove(pair);
      }
    });
  }

  // ---- Status and problems -----------------------------------------------------------------------

  function showStatus(message) {
    if (statusBox && statusBox.textContent !== message) {
      statusBox.textContent = message;
    }
  }

  function clearError() {
    Array.prototype.forEach.call(card.querySelectorAll('[data-role="error"]'), remove);
    Array.prototype.forEach.call(card.querySelectorAll('.app-fieldset--error, .app-form-group--error'),
      function (group) {
        group.classList.remove('app-fieldset--error', 'app-form-group--error');
      });
    var described = card.querySelector('[data-error-described]');
    if (described) {
      described.setAttribute('aria-describedby', described.getAttribute('data-error-described'));
      described.removeAttribute('data-error-described');
      if (!described.getAttribute('aria-describedby')) {
        described.removeAttribute('aria-describedby');
      }
    }
  }

  // A calm message next to the question, read out once (role="alert"); the question stays as it was.
  function showError(message) {
    clearError();
    var box = el('p', 'app-error-message', message || t('unavailable'));
    box.setAttribute('role', 'alert');
    box.setAttribute('data-role', 'error');
    box.id = 'chat-error-' + (++state.seq);
    var fieldset = card.querySelector('.app-fieldset');
    var group = card.querySelector('.app-form-group');
    if (fieldset) {
      fieldset.classList.add('app-fieldset--error');
      fieldset.insertBefore(box, fieldset.querySelector('.app-options'));
    } else if (group) {
      group.classList.add('app-form-group--error');
      var field = group.querySelector('textarea');
      group.insertBefore(box, field);
      field.setAttribute('data-error-described', field.getAttribute('aria-describedby') || '');
      field.setAttribute('aria-describedby', box.id);
    } else {
      var actions = card.querySelector('.app-actions');
      if (actions) {
        actions.parentNode.insertBefore(box, actions);
      } else {
        card.appendChild(box);
      }
    }
  }

  function busy() {
    return Boolean(state.pending || state.moving);
  }

  // While waiting, the buttons stay focusable but say they are not available (and do nothing).
  function setBusy(on) {
    Array.prototype.forEach.call(card.querySelectorAll('button'), function (button) {
      if (on) {
        button.setAttribute('aria-disabled', 'true');
      } else {
        button.removeAttribute('aria-disabled');
      }
    });
    if (on) {
      card.setAttribute('aria-busy', 'true');
    } else {
      card.removeAttribute('aria-busy');
    }
  }

  // ---- Drawing a turn -------------------------------------------------------------------------------

  function isQuestion(kind) {
    return kind === 'choice' || kind === 'multi' || kind === 'text';
  }

  function chosen(answer, value, kind) {
    if (answer === null || answer === undefined) {
      return false;
    }
    return kind === 'multi' ? Array.isArray(answer) && answer.indexOf(value) !== -1 : answer === value;
  }

  function drawTop(turn) {
    var progress = turn.progress || {};
    if (!turn.can_go_back && !progress.text) {
      return null;
    }
    var top = el('div', 'app-card__top');
    if (turn.can_go_back) {
      var back = el('button', 'app-back-link', t('back'));
      back.type = 'button';
      back.setAttribute('data-action', 'back');
      top.appendChild(back);
    }
    if (progress.text) {
      var box = el('div', 'app-progress');
      box.setAttribute('data-role', 'progress');
      var text = el('p', 'app-progress__text', progress.text);
      if (progress.left) {
        text.appendChild(document.createTextNode(' '));
        text.appendChild(el('span', 'app-progress__left', progress.left));
      }
      box.appendChild(text);
      var bar = el('progress', 'app-progress__bar');
      bar.max = Math.max(1, Number(progress.total) || 1);
      bar.value = Math.max(0, Number(progress.current) || 0);
      bar.setAttribute('aria-hidden', 'true');
      box.appendChild(bar);
      top.appendChild(box);
    }
    return top;
  }

  function drawOptions(turn, id, prefill) {
    var kind = turn.input.kind;
    var options = el('div', 'app-options app-options--' + kind);
    (turn.input.options || []).forEach(function (option, index) {
      var row = el('div', 'app-option');
      var input = el('input', 'app-option__input');
      input.type = kind === 'choice' ? 'radio' : 'checkbox';
      input.name = 'value';
      input.id = id + '-opt-' + (index + 1);
      input.value = option.value;
      input.checked = prefill ? prefill.indexOf(option.value) !== -1 : chosen(turn.answer, option.value, kind);
      var label = el('label', 'app-option__label', option.label);
      label.htmlFor = input.id;
      row.appendChild(input);
      row.appendChild(label);
      options.appendChild(row);
    });
    return options;
  }

  function drawReview(turn) {
    var list = el('dl', 'app-summary');
    (turn.review || []).forEach(function (item) {
      var row = el('div', 'app-summary__row');
      row.appendChild(el('dt', 'app-summary__key', item.question));
      var value = el('dd', 'app-summary__value');
      value.appendChild(el('bdi', null, item.answer));
      row.appendChild(value);
      var actions = el('dd', 'app-summary__actions');
      var change = el('button', 'app-link-button', t('change'));
      change.type = 'button';
      change.setAttribute('data-action', 'change');
      change.setAttribute('data-step', item.step);
      change.appendChild(el('span', 'app-visually-hidden', ' ' + item.question));
      actions.appendChild(change);
      row.appendChild(actions);
      list.appendChild(row);
    });
    return list;
  }

  // Draw the card for a turn. `prefill` carries what was typed or ticked before the script took over.
  function drawCard(turn, prefill) {
    var kind = turn.input.kind;
    var id = 'chat-' + (++state.seq);
    var messages = turn.messages || [];
    var asks = isQuestion(kind) && messages.length > 0;
    var lead = asks ? messages.slice(0, -1) : messages;
    var question = asks ? messages[messages.length - 1] : null;
    var heading = null;
    var leadIds = [];

    clear(card);
    card.className = 'app-card';
    var top = drawTop(turn);
    if (top) {
      card.appendChild(top);
    }

    var form = el('form', 'app-question');
    form.setAttribute('data-role', 'question');
    form.setAttribute('data-step', turn.step);
    form.noValidate = true;

    if (kind === 'review') {
      heading = el('h1', 'app-heading', t('check-answers'));
      form.appendChild(heading);
    }

    if (lead.length) {
      var says = el('div', 'app-says app-says--new');
      lead.forEach(function (line, index) {
        var bubble;
        if (kind === 'none' && index === 0) {
          bubble = el('h1', 'app-bubble app-bubble--say app-bubble--lead', line);
          heading = bubble;
        } else {
          bubble = el('p', 'app-bubble app-bubble--say', line);
          bubble.id = id + '-say-' + (index + 1);
          leadIds.push(bubble.id);
        }
        says.appendChild(bubble);
      });
      form.appendChild(says);
    }

    if (kind === 'choice' || kind === 'multi') {
      var fieldset = el('fieldset', 'app-fieldset');
      var legend = el('legend', 'app-fieldset__legend');
      heading = el('h1', 'app-heading app-heading--question', question);
      legend.appendChild(heading);
      fieldset.appendChild(legend);
      if (kind === 'multi') {
        var hint = el('p', 'app-hint', t('choose-all'));
        hint.id = id + '-hint';
        fieldset.setAttribute('aria-describedby', hint.id);
        fieldset.appendChild(hint);
      }
      fieldset.appendChild(drawOptions(turn, id, prefill && prefill.checked));
      form.appendChild(fieldset);
    } else if (kind === 'text') {
      var group = el('div', 'app-form-group');
      heading = el('h1', 'app-heading app-heading--question');
      var label = el('label', null, question);
      label.htmlFor = id + '-answer';
      heading.appendChild(label);
      group.appendChild(heading);
      var area = el('textarea', 'app-textarea');
      area.id = id + '-answer';
      area.name = 'value';
      area.rows = 5;
      area.maxLength = maxLength;
      area.setAttribute('dir', 'auto');
      area.value = prefill && prefill.text ? prefill.text : (typeof turn.answer === 'string' ? turn.answer : '');
      group.appendChild(area);
      form.appendChild(group);
    } else if (kind === 'review') {
      form.appendChild(drawReview(turn));
    }

    var actions = el('div', 'app-actions');
    var label0 = kind === 'review' && turn.input.options && turn.input.options[0]
      ? turn.input.options[0].label : t('continue');
    var go = el('button', 'app-button', label0);
    go.type = 'submit';
    actions.appendChild(go);
    if (turn.input.optional) {
      var skip = el('button', 'app-button app-button--secondary', t('skip'));
      skip.type = 'button';
      skip.setAttribute('data-action', 'skip');
      actions.appendChild(skip);
    }
    form.appendChild(actions);
    card.appendChild(form);

    if (heading) {
      heading.tabIndex = -1;
      if (leadIds.length && kind !== 'none') {
        heading.setAttribute('aria-describedby', leadIds.join(' '));
      }
    }
    state.heading = heading;
    state.shown = turn.step;
    root.setAttribute('data-step', turn.step);
  }

  function drawFinished(turn) {
    clear(card);
    card.className = 'app-finished';
    // Nothing the person said stays on the screen once they have finished (a shared tablet, or
    // someone looking over their shoulder): the same as the page the server shows after finishing.
    clear(log);
    log.hidden = true;
    var panel = el('div', 'app-panel');
    var title = el('h1', 'app-panel__title', t('finished'));
    title.tabIndex = -1;
    panel.appendChild(title);
    card.appendChild(panel);
    var closing = el('div', 'app-closing');
    (turn.messages || []).forEach(function (line) {
      closing.appendChild(el('p', 'app-closing__line', line));
    });
    card.appendChild(closing);
    if (reassure) {
      reassure.hidden = true;
    }
    state.heading = title;
    state.shown = turn.step;
    root.setAttribute('data-step', turn.step);
    root.setAttribute('data-finished', 'true');
  }

  function drawRefused(message) {
    clear(card);
    card.className = 'app-card';
    var notice = el('p', 'app-notice', message || t('unavailable'));
    notice.setAttribute('role', 'alert');
    notice.setAttribute('data-role', 'refused');
    card.appendChild(notice);
    if (reassure) {
      reassure.hidden = true;
    }
    state.shown = null;
  }

  // Bring the new question into view, with the answer just given above it when both fit, and put
  // keyboard and screen-reader focus on its heading.
  function focusQuestion() {
    var heading = state.heading;
    if (!heading) {
      return;
    }
    var target = card;
    var shown = pairs();
    var last = shown[shown.length - 1];
    if (last && last.getBoundingClientRect().height + card.getBoundingClientRect().height + 32 <
        window.innerHeight) {
      target = last;
    }
    try {
      target.scrollIntoView({ block: 'start', behavior: 'auto' }); // no sliding: calmer, and sure
      heading.focus({ preventScroll: true });
    } catch (e) {
      heading.focus();
    }
  }

  // What the page's own (server-drawn) form holds, so taking over does not lose it.
  function readServerForm() {
    var form = card.querySelector('form[data-role="question"]');
    if (!form) {
      return null;
    }
    var area = form.querySelector('textarea');
    var checked = Array.prototype.map.call(form.querySelectorAll('input[name="value"]:checked'),
      function (input) { return input.value; });
    var error = card.querySelector('[data-role="error"] a, [data-role="error"] p');
    return {
      step: (form.querySelector('input[name="step"]') || {}).value,
      text: area ? area.value : '',
      checked: checked,
      error: error ? error.textContent : null
    };
  }

  // ---- The socket -----------------------------------------------------------------------------------

  // No code is sent: the signed session cookie names the conversation (README, chat protocol).
  var socket = window.io('/chat', { auth: {} });

  function onTurn(turn) {
    if (state.stopped || !turn || !turn.input) {
      return;
    }
    var first = !state.rendered;
    var moving = state.moving;
    var pending = state.pending;
    state.moving = null;
    state.turn = turn;

    if (Array.isArray(turn.history)) {
      applyHistory(turn.history);
    } else if (moving === 'back') {
      removePairs(turn.step, true); // back to this question: its answer is open again
    }

    if (turn.finished) {
      state.finished = true;
      state.rendered = true;
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
      setBusy(false); // the same question again (reconnected): keep what is being typed
      return;
    }

    var prefill = null;
    var hadFocus = card.contains(document.activeElement);
    if (first) {
      var server = readServerForm();
      if (server && server.step === turn.step) {
        prefill = server;
      }
    }
    drawCard(turn, prefill);
    state.rendered = true;
    if (pending) {
      setBusy(true);
    }
    if (!first || hadFocus) {
      focusQuestion();
    }
    if (prefill && prefill.error) {
      showError(prefill.error);
    }
  }

  function send() {
    var pending = state.pending;
    if (!pending || pending.inFlight || !socket.connected) {
      return; // sent when the connection is back
    }
    pending.inFlight = true;
    socket.emit('answer', { id: pending.id, step: pending.step, value: pending.value }, function (ack) {
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
        socket.emit('resume', {}, function () {}); // no next question came: ask where we are
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
    var kind = turn.input.kind;
    var form = card.querySelector('form');
    if (kind === 'choice') {
      var picked = form.querySelector('input[name="value"]:checked');
      return picked ? picked.value : null;
    }
    if (kind === 'multi') {
      return Array.prototype.map.call(form.querySelectorAll('input[name="value"]:checked'),
        function (input) { return input.value; });
    }
    if (kind === 'text') {
      var area = form.querySelector('textarea');
      return area && area.value.trim() ? area.value : null;
    }
    if (kind === 'review') {
      return 'confirm';
    }
    return null;
  }

  // The answer as the log shows it: the same words the server will show after a reload.
  function shownAnswer(turn, value) {
    var kind = turn.input.kind;
    if (value === null || value === '' || (Array.isArray(value) && !value.length)) {
      return turn.input.optional ? t('skipped') : null;
    }
    var labels = {};
    (turn.input.options || []).forEach(function (option) {
      labels[option.value] = option.label;
    });
    if (kind === 'choice') {
      return labels[value] || value;
    }
    if (kind === 'multi') {
      return value.map(function (v) { return labels[v] || v; }).join(', ');
    }
    return String(value).trim();
  }

  function submitAnswer(skip) {
    var turn = state.turn;
    if (busy() || state.finished || state.stopped || !turn || state.shown !== turn.step) {
      return;
    }
    clearError();
    var kind = turn.input.kind;
    var value = skip ? null : valueOf(turn);
    var pending = { id: uuid(), step: turn.step, value: value, pair: null, inFlight: false };
    var messages = turn.messages || [];
    if (isQuestion(kind)) {
      var words = shownAnswer(turn, value);
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

  function move(event, data) {
    if (busy() || state.finished || state.stopped || !socket.connected) {
      return;
    }
    clearError();
    state.moving = event;
    setBusy(true);
    socket.emit(event, data, function (ack) {
      var stillMoving = state.moving === event;
      state.moving = null;
      setBusy(Boolean(state.pending));
      if (ack && ack.ok) {
        if (stillMoving) {
          socket.emit('resume', {}, function () {}); // the new turn did not come: ask for it
        }
        return;
      }
      if (!stopIfClosed(ack)) {
        showError(ack && ack.error);
      }
    });
  }

  // The invitation was closed while the page was open (revoked, expired): say so and stop.
  function stopIfClosed(ack) {
    if (!ack || ack.code !== 'closed') {
      return false;
    }
    state.stopped = true;
    state.pending = null;
    drawRefused(ack.error);
    socket.disconnect();
    return true;
  }

  // Until the first turn arrives the server's own form is on screen, and posts as usual.
  card.addEventListener('submit', function (event) {
    if (!state.rendered) {
      return;
    }
    event.preventDefault();
    submitAnswer(false);
  });

  card.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-action]') : null;
    if (!button || !state.rendered || !card.contains(button)) {
      return;
    }
    event.preventDefault();
    var action = button.getAttribute('data-action');
    if (action === 'skip') {
      submitAnswer(true);
    } else if (action === 'back') {
      move('back', {});
    } else if (action === 'change') {
      move('change', { step: button.getAttribute('data-step') });
    }
  });

  socket.on('turn', onTurn);

  socket.on('connect', function () {
    showStatus('');
    send(); // an answer left unacknowledged when the connection dropped: same id, stored once
  });

  socket.on('disconnect', function (reason) {
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

  socket.on('connect_error', function (err) {
    if (state.finished) {
      return;
    }
    if (socket.active) {
      showStatus(t('reconnecting')); // the network, not the code: the client keeps trying
      return;
    }
    // Refused by the server (wrong, expired or finished code): say so and stop trying.
    state.stopped = true;
    state.pending = null;
    showStatus('');
    drawRefused(err && err.message);
    socket.disconnect();
  });
})();
