/*
 * My Safeguarding Experience: the live chat.
 *
 * Progressive enhancement of app/templates/chat.html. Without JavaScript that page is a plain form,
 * one question per page. With it, this script opens the Socket.IO namespace /chat and draws every
 * `turn` the server sends into the same page (the protocol is in README.md).
 *
 * Rules kept throughout:
 * - Every string from the server or typed by the person goes in with textContent: never as HTML.
 * - The log (role="log") only grows: old lines are not drawn again, except from a fresh `history`,
 *   and then quietly (aria-live="off" and aria-busy="true" while it is redrawn), so a screen reader
 *   hears only the newest message.
 * - An answer shows as "Saving…" until the server acknowledges it; one that is not acknowledged
 *   before the connection drops is sent again, with the same id, when it comes back.
 * - Words the script needs that are not in a turn come from data-i18n-* on the root, translated.
 *   After a change of language the page's own words are fetched again (GET of this page) and swapped
 *   in ([data-swap] regions), so everything on the screen speaks the new language.
 *
 * Also here: the language picker and reading settings (`language`, `settings`), "Read aloud"
 * (speechSynthesis, shown only where a voice for the language exists), "I need help now" as a dialog
 * (`help`), the idle warning (`more_time`, WCAG 2.2.1) and leaving when the server says `ended`.
 *
 * Test hooks (harmless, read once at start): window.__appIdleSeconds and window.__appWarnSeconds, if
 * numbers, replace the page's data-idle-seconds and data-warn-seconds, so a browser test can see the
 * idle warning in seconds rather than minutes. They only change when this page warns; the server
 * keeps its own clock (SESSION_IDLE_MINUTES).
 */
(function () {
  'use strict';

  var root = document.querySelector('[data-module="app-chat"]');
  if (!root || typeof window.io !== 'function') {
    return; // no chat here, or no client library: the plain form keeps working
  }

  var log = root.querySelector('[data-role="log"]'); // the list of lines
  var card = root.querySelector('[data-role="current"]');
  var statusBox = root.querySelector('[data-role="status"]');
  if (!log || !card) {
    return;
  }
  var logRegion = root.querySelector('[data-role="log-region"]') || log; // role="log", aria-live
  var maxLength = parseInt(root.getAttribute('data-max-length'), 10) || 2000;
  var firstStep = root.getAttribute('data-first-step') || 'welcome';
  var App = window.App = window.App || {};
  App.exitHooks = App.exitHooks || [];

  var state = {
    turn: null, // the latest turn from the server
    shown: null, // the step whose card is on screen
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

  function t(key) {
    return root.getAttribute('data-i18n-' + key) || '';
  }

  function q(selector) {
    return document.querySelector(selector);
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

  function closest(node, selector) {
    while (node && node.nodeType === 1) {
      if (node.matches ? node.matches(selector) : node.msMatchesSelector(selector)) {
        return node;
      }
      node = node.parentNode;
    }
    return null;
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

  // Redraw the log without a screen reader reading all of it out again: the live region is off and
  // busy while the lines change, and back on (for the next new line) a moment later.
  var quietTimer = null;

  function quietly(change) {
    logRegion.setAttribute('aria-live', 'off');
    logRegion.setAttribute('aria-busy', 'true');
    change();
    if (quietTimer) {
      clearTimeout(quietTimer);
    }
    quietTimer = setTimeout(function () {
      quietTimer = null;
      logRegion.removeAttribute('aria-busy');
      logRegion.setAttribute('aria-live', 'polite');
    }, 250);
  }

  // A fresh history (on connecting, reconnecting, or in a new language) is the truth: draw the log
  // from it, unless it already says exactly that (then nothing is drawn, so nothing is read out).
  function applyHistory(history) {
    var pending = state.pending;
    var pendingPair = pending && pending.pair;
    remove(pendingPair);
    if (!logMatches(history)) {
      quietly(function () {
        clear(log);
        var fragment = document.createDocumentFragment();
        history.forEach(function (said) {
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
    return Boolean(state.pending || state.moving || state.switching);
  }

  // While waiting, the buttons stay focusable but say they are not available (and do nothing).
  function setBusy(on) {
    Array.prototype.forEach.call(card.querySelectorAll('button'), function (button) {
      if (button.getAttribute('data-action') === 'read-aloud') {
        return;
      }
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

  // ---- The page around the conversation: language, direction, reading settings --------------------

  var SIZES = ['large', 'larger'];
  var settingsSent = 0; // settings changes not yet acknowledged
  var settingsWanted = null; // what they add up to

  function applySettings(settings) {
    var html = document.documentElement;
    SIZES.forEach(function (size) {
      html.classList.toggle('app-text-' + size, settings.text_size === size);
    });
    html.classList.toggle('app-contrast', Boolean(settings.high_contrast));
    html.classList.toggle('app-easy-read', Boolean(settings.easy_read));
    var form = q('[data-role="settings-form"]');
    if (form) {
      var values = {
        easy_read: settings.easy_read ? 'on' : 'off',
        text_size: settings.text_size || 'normal',
        high_contrast: settings.high_contrast ? 'on' : 'off'
      };
      Object.keys(values).forEach(function (name) {
        var input = form.querySelector('input[name="' + name + '"][value="' + values[name] + '"]');
        if (input && !input.checked) {
          input.checked = true;
        }
      });
    }
    if (App.measureHeader) {
      App.measureHeader();
    }
  }

  function applyPage(turn) {
    var html = document.documentElement;
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
    var picker = q('[data-role="first-language"]');
    if (picker) {
      picker.hidden = turn.step !== firstStep || Boolean(turn.finished);
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

  // Easy Read: the step's simple picture beside its heading. It repeats the words, so alt="".
  function picture(turn) {
    if (!turn.picture) {
      return null;
    }
    var img = el('img', 'app-picture');
    img.alt = '';
    img.width = 96;
    img.height = 96;
    img.src = turn.picture;
    return img;
  }

  function withPicture(turn, heading) {
    var img = picture(turn);
    if (!img) {
      return heading;
    }
    var head = el('div', 'app-question-head');
    head.appendChild(img);
    head.appendChild(heading);
    return head;
  }

  function readAloudRow() {
    var row = el('div', 'app-read-aloud');
    row.hidden = true; // shown by updateReadAloud() when a voice speaks this language
    var button = el('button', 'app-read-aloud__button', t('read-aloud'));
    button.type = 'button';
    button.setAttribute('data-action', 'read-aloud');
    row.appendChild(button);
    return row;
  }

  // Draw the card for a turn. `prefill` carries what was typed or ticked before it was drawn again.
  function drawCard(turn, prefill) {
    var kind = turn.input.kind;
    var id = 'chat-' + (++state.seq);
    var messages = turn.messages || [];
    var asks = isQuestion(kind) && messages.length > 0;
    var lead = asks ? messages.slice(0, -1) : messages;
    var question = asks ? messages[messages.length - 1] : null;
    var heading = null;
    var leadIds = [];
    var reader = readAloudRow();

    stopSpeaking();
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
      form.appendChild(withPicture(turn, heading));
      form.appendChild(reader);
    }

    if (lead.length) {
      var says = el('div', 'app-says app-says--new');
      lead.forEach(function (line, index) {
        var bubble;
        if (kind === 'none' && index === 0) {
          bubble = el('h1', 'app-bubble app-bubble--say app-bubble--lead', line);
          heading = bubble;
          says.appendChild(withPicture(turn, bubble));
          return;
        }
        bubble = el('p', 'app-bubble app-bubble--say', line);
        bubble.id = id + '-say-' + (index + 1);
        leadIds.push(bubble.id);
        says.appendChild(bubble);
      });
      form.appendChild(says);
    }
    if (kind === 'none') {
      form.appendChild(reader);
    }

    if (kind === 'choice' || kind === 'multi') {
      var fieldset = el('fieldset', 'app-fieldset');
      var legend = el('legend', 'app-fieldset__legend');
      heading = el('h1', 'app-heading app-heading--question', question);
      var img = picture(turn);
      if (img) {
        legend.className += ' app-question-head';
        legend.appendChild(img);
      }
      legend.appendChild(heading);
      fieldset.appendChild(legend);
      if (kind === 'multi') {
        var hint = el('p', 'app-hint', t('choose-all'));
        hint.id = id + '-hint';
        fieldset.setAttribute('aria-describedby', hint.id);
        fieldset.appendChild(hint);
      }
      fieldset.appendChild(reader);
      fieldset.appendChild(drawOptions(turn, id, prefill && prefill.checked));
      form.appendChild(fieldset);
    } else if (kind === 'text') {
      var group = el('div', 'app-form-group');
      heading = el('h1', 'app-heading app-heading--question');
      var label = el('label', null, question);
      label.htmlFor = id + '-answer';
      heading.appendChild(label);
      group.appendChild(withPicture(turn, heading));
      group.appendChild(reader);
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
    state.drawn = signature(turn);
    root.setAttribute('data-step', turn.step);
    updateReadAloud();
  }

  // What a card shows: when a turn for the same step says something else, the card is drawn again.
  function signature(turn) {
    var progress = turn.progress || {};
    return JSON.stringify([turn.step, turn.language, turn.messages, turn.input, turn.picture || null,
      progress.text || '', progress.left || '', Boolean(turn.can_go_back)]);
  }

  function drawFinished(turn) {
    stopSpeaking();
    clear(card);
    card.className = 'app-finished';
    // Nothing the person said stays on the screen once they have finished (a shared tablet, or
    // someone looking over their shoulder): the same as the page the server shows after finishing.
    clear(log);
    log.hidden = true;
    logRegion.hidden = true;
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
    hideAround();
    state.heading = title;
    state.shown = turn.step;
    root.setAttribute('data-step', turn.step);
    root.setAttribute('data-finished', 'true');
  }

  // Once the conversation cannot go on here, the things around it go too.
  function hideAround() {
    ['[data-role="reassure"]', '[data-role="first-language"]', '[data-swap="toolbar"]'].forEach(
      function (selector) {
        var node = q(selector);
        if (node) {
          node.hidden = true;
        }
      });
  }

  function drawRefused(message) {
    stopSpeaking();
    clear(card);
    card.className = 'app-card';
    var notice = el('p', 'app-notice', message || t('unavailable'));
    notice.setAttribute('role', 'alert');
    notice.setAttribute('data-role', 'refused');
    card.appendChild(notice);
    hideAround();
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
    var header = q('.app-header');
    var room = window.innerHeight - (header ? header.offsetHeight : 0);
    if (last && last.getBoundingClientRect().height + card.getBoundingClientRect().height + 32 < room) {
      target = last;
    }
    try {
      target.scrollIntoView({ block: 'start', behavior: 'auto' }); // no sliding: calmer, and sure
      heading.focus({ preventScroll: true });
    } catch (e) {
      heading.focus();
    }
  }

  // What the question on screen holds (typed, ticked), so drawing it again does not lose it.
  function readForm() {
    var form = card.querySelector('form[data-role="question"]');
    if (!form) {
      return null;
    }
    var stepInput = form.querySelector('input[name="step"]');
    var area = form.querySelector('textarea');
    var checked = Array.prototype.map.call(form.querySelectorAll('input[name="value"]:checked'),
      function (input) { return input.value; });
    var error = card.querySelector('[data-role="error"] a, [data-role="error"] p');
    return {
      step: form.getAttribute('data-step') || (stepInput && stepInput.value),
      text: area ? area.value : '',
      checked: checked,
      error: error ? error.textContent : null
    };
  }

  // ---- Read aloud -------------------------------------------------------------------------------------

  var speech = window.speechSynthesis || null;
  var speaking = false;

  function voiceFor(lang) {
    if (!speech || typeof speech.getVoices !== 'function' || !lang) {
      return null;
    }
    var voices = speech.getVoices() || [];
    var want = String(lang).toLowerCase();
    for (var i = 0; i < voices.length; i++) {
      var have = String(voices[i].lang || '').toLowerCase().replace('_', '-');
      if (have === want || have.indexOf(want + '-') === 0) {
        return voices[i];
      }
    }
    return null;
  }

  function readButton() {
    return card.querySelector('[data-action="read-aloud"]');
  }

  function updateReadAloud() {
    var button = readButton();
    if (!button) {
      return;
    }
    var can = Boolean(window.SpeechSynthesisUtterance && voiceFor(state.lang));
    button.parentNode.hidden = !can;
    button.textContent = speaking ? t('stop-reading') : t('read-aloud');
  }

  function stopSpeaking() {
    if (speaking && speech) {
      try {
        speech.cancel();
      } catch (e) { /* nothing to stop */ }
    }
    speaking = false;
    var button = readButton();
    if (button) {
      button.textContent = t('read-aloud');
    }
  }

  function speechText(turn) {
    var lines = (turn.messages || []).slice();
    if (turn.input && (turn.input.kind === 'choice' || turn.input.kind === 'multi')) {
      (turn.input.options || []).forEach(function (option) {
        lines.push(option.label);
      });
    }
    return lines.join('\n');
  }

  function readAloud() {
    if (speaking) {
      stopSpeaking();
      return;
    }
    var voice = voiceFor(state.lang);
    if (!voice || !state.turn) {
      updateReadAloud();
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(speechText(state.turn));
    utterance.lang = state.lang; // the conversation's language, from the turn
    try {
      utterance.voice = voice;
    } catch (e) { /* the browser picks a voice for utterance.lang */ }
    utterance.onend = utterance.onerror = function () {
      speaking = false;
      updateReadAloud();
    };
    try {
      speech.cancel();
    } catch (e) { /* nothing was speaking */ }
    speaking = true;
    updateReadAloud();
    speech.speak(utterance);
  }

  if (speech) {
    if (typeof speech.addEventListener === 'function') {
      speech.addEventListener('voiceschanged', updateReadAloud);
    } else if ('onvoiceschanged' in speech) {
      speech.onvoiceschanged = updateReadAloud;
    }
  }

  // ---- Dialogs (native <dialog>: modal, Escape closes; focus goes in, and back where it was) -------

  function canDialog(dialog) {
    return Boolean(dialog && typeof dialog.showModal === 'function');
  }

  function openDialog(dialog, returnTo, onClose) {
    dialog.appReturnTo = returnTo || document.activeElement;
    dialog.appOnClose = onClose || null;
    if (!dialog.appWired) {
      dialog.appWired = true;
      dialog.addEventListener('close', function () {
        var after = dialog.appOnClose;
        dialog.appOnClose = null;
        var back = dialog.appReturnTo;
        dialog.appReturnTo = null;
        if (after) {
          after();
        }
        if (state.stopped) {
          return;
        }
        if (!back || !document.body.contains(back)) {
          back = state.heading;
        }
        if (back && typeof back.focus === 'function') {
          back.focus();
        }
      });
    }
    if (!dialog.open) {
      dialog.showModal();
    }
    var title = dialog.querySelector('.app-dialog__title');
    if (title) {
      title.focus();
    }
  }

  function closeDialog(dialog) {
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  // ---- I need help now --------------------------------------------------------------------------------

  function drawContacts(dialog, contacts) {
    var list = dialog.querySelector('[data-role="contacts"]');
    clear(list);
    (contacts || []).forEach(function (contact) {
      var item = el('li', 'app-contact app-contact--' + String(contact.kind || '').replace(/[^a-z_]/g, ''));
      item.appendChild(el('span', 'app-contact__label', contact.label));
      var number = el('a', 'app-contact__number', contact.number);
      number.href = 'tel:' + String(contact.number).replace(/\s+/g, '');
      number.setAttribute('dir', 'ltr');
      item.appendChild(number);
      if (contact.example) {
        item.appendChild(el('span', 'app-contact__example', contact.example));
      }
      list.appendChild(item);
    });
  }

  // Only what the server says is true of the message (sent, a demo, or not saved).
  function drawNotice(dialog, lines) {
    var box = dialog.querySelector('[data-role="help-notice"]');
    clear(box);
    (lines || []).forEach(function (line) {
      box.appendChild(el('p', '', line));
    });
  }

  function askForHelp(form, event) {
    var dialog = q('[data-role="help-dialog"]');
    if (!socket.connected || state.stopped || !canDialog(dialog)) {
      return; // the form posts: the help page records the request and shows the same contacts
    }
    event.preventDefault();
    var button = form.querySelector('button');
    var answered = false;
    var fallback = setTimeout(function () {
      if (!answered) {
        answered = true;
        form.submit();
      }
    }, 5000);
    emit('help', {}, function (ack) {
      if (answered) {
        return;
      }
      answered = true;
      clearTimeout(fallback);
      if (!ack || !ack.contacts) {
        form.submit(); // the page of its own still works, and says what it can
        return;
      }
      drawNotice(dialog, ack.notice);
      drawContacts(dialog, ack.contacts);
      closeDialog(q('[data-role="idle-dialog"]'));
      openDialog(dialog, button);
    });
  }

  // ---- The idle warning (WCAG 2.2.1) ---------------------------------------------------------------

  function seconds(override, attribute, fallback) {
    if (typeof override === 'number' && override > 0) {
      return override;
    }
    return parseInt(root.getAttribute(attribute), 10) || fallback;
  }

  var idle = {
    limit: seconds(window.__appIdleSeconds, 'data-idle-seconds', 1200),
    warn: seconds(window.__appWarnSeconds, 'data-warn-seconds', 120),
    fixed: typeof window.__appIdleSeconds === 'number',
    last: Date.now(), // the last time the server heard from us
    deadline: 0,
    timer: null,
    tick: null,
    open: false,
    spoken: null
  };

  function noteActivity() {
    idle.last = Date.now();
    if (!idle.open) {
      scheduleWarning();
    }
  }

  function scheduleWarning() {
    if (idle.timer) {
      clearTimeout(idle.timer);
      idle.timer = null;
    }
    if (state.stopped || state.finished) {
      return;
    }
    var lead = Math.min(idle.warn, idle.limit);
    var wait = idle.last + (idle.limit - lead) * 1000 - Date.now();
    idle.timer = setTimeout(openIdleWarning, Math.max(0, wait));
  }

  function formatTime(left) {
    var unit = left >= 60 ? 'minute' : 'second';
    var amount = left >= 60 ? Math.ceil(left / 60) : left;
    try {
      return new Intl.NumberFormat(state.lang, { style: 'unit', unit: unit, unitDisplay: 'long' })
        .format(amount);
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

  function drawCountdown(dialog, left) {
    var sentence = dialog.getAttribute('data-i18n-countdown') || '{time}';
    var parts = sentence.split('{time}');
    var text = dialog.querySelector('[data-role="countdown-text"]');
    var time = formatTime(left);
    clear(text);
    text.appendChild(document.createTextNode(parts[0]));
    if (parts.length > 1) {
      text.appendChild(el('strong', 'app-countdown', time));
      text.appendChild(document.createTextNode(parts.slice(1).join('{time}')));
    }
    var step = spokenStep(left);
    if (step !== idle.spoken) {
      idle.spoken = step;
      var live = dialog.querySelector('[data-role="countdown-live"]');
      live.textContent = parts.join(time);
    }
  }

  function countdown() {
    var dialog = q('[data-role="idle-dialog"]');
    var left = Math.ceil((idle.deadline - Date.now()) / 1000);
    if (left <= 0) {
      timedOut();
      return;
    }
    if (dialog) {
      drawCountdown(dialog, left);
    }
  }

  function openIdleWarning() {
    idle.timer = null;
    if (state.stopped || state.finished || idle.open) {
      return;
    }
    idle.deadline = idle.last + idle.limit * 1000;
    if (idle.deadline <= Date.now()) {
      timedOut(); // the tablet slept through the warning
      return;
    }
    var dialog = q('[data-role="idle-dialog"]');
    idle.open = true;
    idle.spoken = null;
    if (dialog) {
      drawCountdown(dialog, Math.ceil((idle.deadline - Date.now()) / 1000));
    }
    idle.tick = setInterval(countdown, 1000);
    if (canDialog(dialog)) {
      // On top of everything, the help dialog included; closing it returns focus to where it was.
      openDialog(dialog, document.activeElement, function () {
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
    closeDialog(q('[data-role="idle-dialog"]'));
  }

  function moreTime() {
    closeIdleWarning();
    noteActivity();
    if (!socket.connected) {
      return;
    }
    socket.emit('more_time', {}, function (ack) {
      if (ack && ack.ok) {
        if (!idle.fixed && ack.idle_seconds > 0) {
          idle.limit = ack.idle_seconds;
          scheduleWarning();
        }
      } else if (ack && ack.code === 'closed') {
        timedOut();
      }
    });
  }

  // Anything the person does counts as being here: the server hears of it now and then.
  function onInteraction() {
    if (idle.open || state.stopped || state.finished || !socket.connected) {
      return;
    }
    var every = Math.min(60, idle.limit / 4) * 1000;
    if (Date.now() - idle.last > every) {
      noteActivity();
      socket.emit('more_time', {}, function () {});
    }
  }

  ['keydown', 'pointerdown', 'touchstart', 'input'].forEach(function (name) {
    document.addEventListener(name, onInteraction, { capture: true, passive: true });
  });

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !state.stopped && !state.finished) {
      if (idle.open) {
        countdown();
      } else {
        scheduleWarning();
      }
    }
  });

  // ---- When the session ends (timed out, stopped, or left from another tab) -----------------------

  function stopTimers() {
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

  function endHere(kind) {
    if (state.stopped && root.getAttribute('data-ended')) {
      return;
    }
    state.stopped = true;
    state.pending = null;
    stopTimers();
    stopSpeaking();
    closeDialog(q('[data-role="idle-dialog"]'));
    closeDialog(q('[data-role="help-dialog"]'));
    socket.disconnect();
    showStatus('');
    // Nothing the person said stays on the screen.
    clear(log);
    log.hidden = true;
    logRegion.hidden = true;
    clear(card);
    card.className = 'app-card';
    var focus;
    if (kind === 'stopped') {
      focus = el('h1', 'app-heading', t('stopped'));
      card.appendChild(focus);
      card.appendChild(el('p', 'app-lead', t('stopped-body')));
    } else {
      var notice = el('div', 'app-notice-panel');
      notice.setAttribute('role', 'status');
      notice.setAttribute('data-role', 'notice');
      notice.appendChild(el('p', 'app-notice-panel__text', t('timed-out')));
      card.appendChild(notice);
      focus = notice;
    }
    var actions = el('div', 'app-actions');
    var start = el('a', 'app-button app-button--secondary', t('to-start'));
    start.href = root.getAttribute('data-start-url') || '/';
    actions.appendChild(start);
    card.appendChild(actions);
    hideAround();
    root.setAttribute('data-ended', kind);
    root.setAttribute('data-step', '');
    state.heading = null;
    focus.tabIndex = -1;
    focus.focus();
  }

  function timedOut() {
    endHere('timed-out');
  }

  // ---- The socket -----------------------------------------------------------------------------------

  // No code is sent: the signed session cookie names the conversation (README, chat protocol).
  var socket = window.io('/chat', { auth: {} });

  // Everything sent to the server is activity: the server's idle clock starts again.
  function emit(event, data, ack) {
    noteActivity();
    socket.emit(event, data, ack);
  }

  App.exitHooks.push(function () {
    stopTimers();
    if (socket.connected) {
      socket.emit('exit', {}, function () {});
    }
  });

  function onTurn(turn) {
    if (state.stopped || !turn || !turn.input) {
      return;
    }
    if (state.switching) {
      state.switching.turn = turn; // drawn once the page's own words have changed language too
      return;
    }
    var first = !state.rendered;
    var moving = state.moving;
    var pending = state.pending;
    var redraw = state.redraw;
    var keep = state.redrawPrefill;
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
        var kept = keep || readForm();
        drawCard(turn, kept && kept.step === turn.step ? kept : null);
        return;
      }
      setBusy(false); // the same question again (reconnected): keep what is being typed
      return;
    }

    var prefill = null;
    var hadFocus = card.contains(document.activeElement);
    if (first) {
      var server = readForm();
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

  function send() {
    var pending = state.pending;
    if (!pending || pending.inFlight || !socket.connected) {
      return; // sent when the connection is back
    }
    pending.inFlight = true;
    emit('answer', { id: pending.id, step: pending.step, value: pending.value }, function (ack) {
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
        emit('resume', {}, function () {}); // no next question came: ask where we are
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
    stopSpeaking();
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
    emit(event, data, function (ack) {
      var stillMoving = state.moving === event;
      state.moving = null;
      setBusy(Boolean(state.pending));
      if (ack && ack.ok) {
        if (stillMoving) {
          emit('resume', {}, function () {}); // the new turn did not come: ask for it
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
    stopTimers();
    drawRefused(ack.error);
    socket.disconnect();
    return true;
  }

  // ---- Language and reading settings, live ---------------------------------------------------------

  // The page's own words (header, settings, dialogs, data-i18n-*) in the new language: fetched from
  // the server as a page, and swapped in region by region. If that fails, the question and the log
  // are still in the new language, and a reload puts the rest right.
  function loadChrome(done) {
    var called = false;
    function finish() {
      if (!called) {
        called = true;
        done();
      }
    }
    try {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', window.location.pathname, true);
      xhr.responseType = 'document';
      xhr.timeout = 8000;
      xhr.onload = function () {
        if (xhr.status === 200 && xhr.response) {
          try {
            swapChrome(xhr.response);
          } catch (e) { /* keep the words we have */ }
        }
        finish();
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = finish;
      xhr.send();
    } catch (e) {
      finish();
    }
  }

  function swapChrome(doc) {
    var fresh = doc.querySelector('[data-module="app-chat"]');
    if (!fresh) {
      return; // not the chat page any more (the conversation ended meanwhile)
    }
    Array.prototype.forEach.call(fresh.attributes, function (attribute) {
      if (attribute.name.indexOf('data-i18n-') === 0) {
        root.setAttribute(attribute.name, attribute.value);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-swap]'), function (old) {
      var name = old.getAttribute('data-swap');
      var replacement = doc.querySelector('[data-swap="' + name + '"]');
      if (!replacement || old.open === true && old.tagName === 'DIALOG') {
        return;
      }
      var node = document.importNode(replacement, true);
      node.hidden = old.hidden;
      Array.prototype.forEach.call(old.querySelectorAll('details[open]'), function (details) {
        var same = details.id && node.querySelector('#' + details.id);
        if (same) {
          same.open = true;
        }
      });
      old.parentNode.replaceChild(node, old);
    });
    if (doc.title) {
      document.title = doc.title;
    }
    if (App.measureHeader) {
      App.measureHeader();
    }
  }

  function changeLanguage(lang, focusId) {
    if (state.switching) {
      return;
    }
    stopSpeaking();
    var switching = { lang: lang, turn: null, focusId: focusId, prefill: readForm() };
    state.switching = switching;
    emit('language', { lang: lang }, function (ack) {
      if (!ack || !ack.ok) {
        state.switching = null;
        if (!stopIfClosed(ack) && switching.turn) {
          onTurn(switching.turn);
        }
        return;
      }
      loadChrome(function () {
        state.switching = null;
        state.redraw = true;
        state.redrawPrefill = switching.prefill;
        if (switching.turn) {
          onTurn(switching.turn);
        } else {
          emit('resume', {}, function () {});
        }
        var again = focusId && document.getElementById(focusId);
        if (again) {
          again.focus();
        }
      });
    });
  }

  function changeSetting(input) {
    var change = {};
    if (input.name === 'text_size') {
      change.text_size = input.value;
    } else {
      change[input.name] = input.value === 'on';
    }
    var settings = {};
    var now = settingsWanted || (state.turn && state.turn.settings) || {};
    Object.keys(now).forEach(function (key) {
      settings[key] = now[key];
    });
    Object.keys(change).forEach(function (key) {
      settings[key] = change[key];
    });
    settingsWanted = settings;
    settingsSent += 1;
    applySettings(settings); // at once; the server's turn confirms it
    state.redraw = true;
    emit('settings', change, function (ack) {
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

  // ---- Events -----------------------------------------------------------------------------------------

  // Until the first turn arrives the server's own form is on screen, and posts as usual.
  card.addEventListener('submit', function (event) {
    if (!state.rendered) {
      return;
    }
    event.preventDefault();
    submitAnswer(false);
  });

  card.addEventListener('click', function (event) {
    var button = closest(event.target, 'button[data-action]');
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
    } else if (action === 'read-aloud') {
      readAloud();
    }
  });

  // The header, the settings and the dialogs are drawn again after a change of language, so their
  // events are caught here, on the document.
  document.addEventListener('click', function (event) {
    var button = closest(event.target, 'button');
    if (!button) {
      return;
    }
    if (button.name === 'lang' && closest(button, '[data-role="language-form"]')) {
      if (!state.rendered || state.stopped || !socket.connected) {
        return; // the form posts, and the page comes back in the new language
      }
      event.preventDefault();
      if (button.value !== state.lang && !busy()) {
        changeLanguage(button.value, button.id);
      }
      return;
    }
    var action = button.getAttribute('data-action');
    if (action === 'carry-on') {
      closeDialog(closest(button, 'dialog'));
    } else if (action === 'more-time') {
      moreTime();
    }
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form && form.getAttribute('data-role') === 'help-form') {
      askForHelp(form, event);
    } else if (form && form.getAttribute('data-role') === 'settings-form' && state.rendered &&
               socket.connected && !state.stopped) {
      event.preventDefault(); // each change was sent as it was made
    }
  });

  document.addEventListener('change', function (event) {
    var input = event.target;
    var form = input && input.form;
    if (!form || form.getAttribute('data-role') !== 'settings-form' || input.type !== 'radio') {
      return;
    }
    if (!state.rendered || state.stopped || !socket.connected) {
      form.submit(); // no live connection: the plain form does it, and the page comes back
      return;
    }
    changeSetting(input);
  });

  socket.on('turn', onTurn);

  socket.on('connect', function () {
    showStatus('');
    send(); // an answer left unacknowledged when the connection dropped: same id, stored once
  });

  // The server ended this browser's session: "Exit this page" in another tab, an idle time-out, or
  // "Stop for now". The answers are kept; this page stops and shows nothing of them.
  socket.on('ended', function (data) {
    var reason = data && data.reason;
    if (reason === 'exit') {
      if (App.exit) {
        App.exit();
      }
      return;
    }
    endHere(reason === 'stop' ? 'stopped' : 'timed-out');
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
    if (state.finished || state.stopped) {
      return;
    }
    if (socket.active) {
      showStatus(t('reconnecting')); // the network, not the code: the client keeps trying
      return;
    }
    // Refused by the server (wrong, expired or finished code): say so and stop trying.
    state.stopped = true;
    state.pending = null;
    stopTimers();
    showStatus('');
    drawRefused(err && err.message);
    socket.disconnect();
  });

  scheduleWarning();
})();
