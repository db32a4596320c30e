/*
 * My Safeguarding Experience: what every page needs once JavaScript runs.
 *
 * "Exit this page", as in the GOV.UK Design System
 * (https://design-system.service.gov.uk/components/exit-this-page/):
 * - the button, or the Shift key pressed 3 times within 5 seconds, leaves at once;
 * - each Shift press is announced ("Shift, press 2 more times to exit.");
 * - on leaving, the page is blanked first, the server is told (a beacon: the session cookie names the
 *   conversation, and /exit needs no form token), the chat socket says `exit` too (App.exitHooks,
 *   filled by chat/safety.js), then location.replace() goes to the neutral page: Back does not return.
 * Without JavaScript the same button posts the form, which ends the session and redirects.
 *
 * Also: the sticky header's height, as --app-header-h, so scrolling to a question clears it.
 */
(function () {
  'use strict';

  var App = window.App = window.App || {};
  App.exitHooks = App.exitHooks || [];

  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 5000;
  var exiting = false;

  function exitForm() {
    return document.querySelector('[data-module="app-exit"]');
  }

  function words(key) {
    var form = exitForm();
    return (form && form.getAttribute('data-i18n-' + key)) || '';
  }

  function announce(message) {
    var region = document.querySelector('[data-role="exit-status"]');
    if (region) {
      region.textContent = message;
    }
  }

  function tellServer(action) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(action)) {
        return;
      }
    } catch (e) { /* fall through */ }
    try {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', action, true);
      xhr.withCredentials = true;
      xhr.send();
    } catch (e) { /* the page is leaving anyway */ }
  }

  // Leave now. Safe to call twice (the socket's own `ended` event comes back to this page too).
  function exit() {
    if (exiting) {
      return;
    }
    exiting = true;
    var form = exitForm();
    var url = (form && form.getAttribute('data-exit-url')) || 'about:blank';
    var action = (form && form.getAttribute('action')) || '/exit';
    var loading = words('loading');

    // 1. Nothing of this page stays on the screen, not even for the moment the next one takes.
    var root = document.documentElement;
    root.className += ' app-exiting';
    var body = document.body;
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    document.title = loading || '\u00a0';
    var blank = document.createElement('p');
    blank.className = 'app-exiting__text';
    blank.setAttribute('role', 'status');
    blank.textContent = loading;
    body.appendChild(blank);

    // 2. End the session on the server, by every way there is.
    tellServer(action);
    for (var i = 0; i < App.exitHooks.length; i++) {
      try {
        App.exitHooks[i]();
      } catch (e) { /* keep leaving */ }
    }

    // 3. Go, replacing this page in the history.
    window.location.replace(url);
  }
  App.exit = exit;

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form && form.getAttribute && form.getAttribute('data-module') === 'app-exit') {
      event.preventDefault();
      announce(words('activated'));
      exit();
    }
  }, true);

  // ---- Shift, three times ------------------------------------------------------------------------

  var presses = 0;
  var resetTimer = null;

  function showPresses(count) {
    var button = document.querySelector('[data-module="app-exit"] button');
    if (!button) {
      return;
    }
    var dots = button.querySelector('.app-exit__dots');
    if (!dots) {
      dots = document.createElement('span');
      dots.className = 'app-exit__dots';
      dots.setAttribute('aria-hidden', 'true');
      for (var i = 0; i < SHIFT_PRESSES; i++) {
        dots.appendChild(document.createElement('span'));
      }
      button.appendChild(dots);
    }
    for (var j = 0; j < dots.children.length; j++) {
      dots.children[j].className = j < count ? 'app-exit__dot app-exit__dot--on' : 'app-exit__dot';
    }
    button.classList.toggle('app-exit__button--counting', count > 0);
  }

  function resetPresses(expired) {
    if (resetTimer) {
      clearTimeout(resetTimer);
      resetTimer = null;
    }
    if (presses > 0 && expired) {
      announce(words('expired'));
    }
    presses = 0;
    showPresses(0);
  }

  function isShift(event) {
    return event.key === 'Shift' || event.keyCode === 16;
  }

  // Only Shift on its own counts: Shift+Tab or a capital letter is moving or typing, not leaving.
  var withOtherKey = false;

  document.addEventListener('keydown', function (event) {
    if (isShift(event)) {
      return;
    }
    if (event.shiftKey) {
      withOtherKey = true;
    }
    if (presses > 0) {
      resetPresses(false);
    }
  }, true);

  document.addEventListener('keyup', function (event) {
    if (!isShift(event) || exiting) {
      return;
    }
    if (withOtherKey) {
      withOtherKey = false;
      return;
    }
    presses += 1;
    showPresses(presses);
    if (presses >= SHIFT_PRESSES) {
      announce(words('activated'));
      exit();
      return;
    }
    announce(words(SHIFT_PRESSES - presses === 1 ? 'press-one' : 'press-two'));
    if (!resetTimer) {
      resetTimer = setTimeout(function () {
        resetTimer = null;
        resetPresses(true);
      }, SHIFT_WINDOW_MS);
    }
  }, true);

  // ---- The sticky header's height ---------------------------------------------------------------

  function measureHeader() {
    var header = document.querySelector('.app-header');
    if (header && document.documentElement.style.setProperty) {
      document.documentElement.style.setProperty('--app-header-h', header.offsetHeight + 'px');
    }
  }
  App.measureHeader = measureHeader;
  measureHeader();
  window.addEventListener('resize', measureHeader);
})();
