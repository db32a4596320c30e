/*
 * My Safeguarding Experience, staff pages: urgent signals live, without a reload.
 *
 * Progressive enhancement of the urgent panel (app/templates/staff/_signals.html) on the cases page
 * and on a case page. Without this script the server draws the panel, up to date at every load. With
 * it, the Socket.IO namespace /staff (signed in by the staff session cookie) pushes `signal` events
 * (app/followups.py) and the panel follows them:
 * - an urgent signal raised is added, drawn like the server's item, its acknowledge form included;
 * - one acknowledged or withdrawn is taken away (someone is dealing with it, or it no longer holds);
 * - one escalated is tagged so;
 * - a non-urgent one is only mentioned in a status line: it waits in "Needs follow-up".
 * Every string from the server goes in with textContent, never as HTML.
 */
(function () {
  'use strict';

  var panel = document.querySelector('[data-role="urgent-panel"]');
  var list = panel && panel.querySelector('[data-role="urgent-signals"]');
  if (!list || typeof window.io !== 'function') {
    return; // nothing on this page changes live, or no client library: the page still works
  }
  var back = list.getAttribute('data-back') || 'home';
  var onCase = document.querySelector('[data-role="live-case"]');
  var pageCase = onCase ? onCase.getAttribute('data-case') : null; // null: every case (cases page)
  var token = document.querySelector('input[name="csrf_token"]'); // one per session: any form's will do
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  // A polite status line, in the page from the start so that screen readers hear it when it changes.
  var status = el('p', 'staff-live-status');
  status.setAttribute('role', 'status');
  panel.parentNode.insertBefore(status, panel);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  function hidden(name, value) {
    var input = el('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    return input;
  }

  // "01 Dec 2026 14:03 UTC", as the server writes it. Its times are UTC, so the digits are read
  // straight from the ISO string: no local time zone can shift them.
  function when(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || '');
    return m ? m[3] + ' ' + MONTHS[m[2] - 1] + ' ' + m[1] + ' ' + m[4] + ':' + m[5] + ' UTC' : '';
  }

  function find(id) {
    return list.querySelector('[data-signal="' + parseInt(id, 10) + '"]');
  }

  function item(signal) {
    var li = el('li', 'staff-urgent-item');
    li.setAttribute('data-signal', String(signal.id));
    li.setAttribute('data-kind', String(signal.kind));
    var what = li.appendChild(el('p', 'staff-urgent-item__what'));
    what.appendChild(el('strong', null, signal.label));
    var about = '';
    if (pageCase === null) { // the cases page names the case; a case page need not
      var link = el('a', 'app-link', 'case ' + signal.reference);
      link.href = list.getAttribute('data-case-url').replace(/\/0$/, '/' + encodeURIComponent(signal.case_id));
      what.appendChild(document.createTextNode(' on '));
      what.appendChild(link);
      about = ', case ' + signal.reference;
    }
    what.appendChild(document.createTextNode(' '));
    var raised = what.appendChild(el('span', 'staff-follow-up__when', 'raised '));
    var time = raised.appendChild(el('time', null, when(signal.raised_at)));
    time.setAttribute('datetime', signal.raised_at || '');

    var form = li.appendChild(el('form', 'staff-inline'));
    form.method = 'post';
    form.action = list.getAttribute('data-ack-url').replace(/\/0\/acknowledge$/,
      '/' + encodeURIComponent(signal.id) + '/acknowledge');
    form.appendChild(hidden('csrf_token', token ? token.value : ''));
    form.appendChild(hidden('back', back));
    var button = form.appendChild(el('button', 'app-button staff-button--small', 'I am dealing with this'));
    button.type = 'submit';
    button.setAttribute('data-role', 'acknowledge');
    button.appendChild(el('span', 'app-visually-hidden', ': ' + signal.label + about));
    return li;
  }

  function add(signal) {
    if (find(signal.id)) {
      return; // drawn by the server already, or pushed twice
    }
    if (!panel.hidden) {
      list.appendChild(item(signal));
      return;
    }
    // A live region in a hidden panel is not heard: show the panel first, then add the item a
    // moment later, so that the list (aria-live="polite") announces it.
    panel.hidden = false;
    panel.classList.remove('staff-urgent-panel--empty');
    window.setTimeout(function () {
      if (!find(signal.id)) { list.appendChild(item(signal)); }
    }, 150);
  }

  function remove(id) {
    var found = find(id);
    if (found) { found.parentNode.removeChild(found); }
    if (!list.querySelector('[data-signal]')) {
      panel.hidden = true;
      panel.classList.add('staff-urgent-panel--empty');
    }
  }

  function escalated(id) {
    var what = find(id) && find(id).querySelector('.staff-urgent-item__what');
    if (what && !what.querySelector('.staff-tag--urgent')) { // the server escalated it just now
      what.appendChild(document.createTextNode(' '));
      what.appendChild(el('strong', 'staff-tag staff-tag--urgent',
        'Escalated ' + when(new Date().toISOString()).slice(-9)));
    }
  }

  var socket = window.io('/staff', { transports: ['websocket', 'polling'] });
  var lost = false;

  socket.on('signal', function (signal) {
    if (!signal || (pageCase !== null && String(signal.case_id) !== pageCase)) {
      return; // a case page hears only of its own case
    }
    if (signal.event === 'raised' && signal.urgent) {
      add(signal);
    } else if (signal.event === 'raised') {
      status.textContent = 'New follow-up on case ' + signal.reference + ': ' + signal.label +
        '. It is in "Needs follow-up".';
    } else if (signal.event === 'acknowledged' || signal.event === 'withdrawn') {
      remove(signal.id);
    } else if (signal.event === 'escalated') {
      escalated(signal.id);
    }
  });

  // Signals pushed while the connection was down are not sent again: say so, rather than reload and
  // lose what someone was typing. data-live tells whether the list is live (the browser tests wait).
  socket.on('disconnect', function () {
    lost = true;
    list.setAttribute('data-live', 'off');
  });
  socket.on('connect', function () {
    list.setAttribute('data-live', 'on');
    if (lost) {
      status.textContent = 'The live connection was lost for a while. Reload the page to be sure nothing was missed.';
    }
  });

  // This sign-in ended (signed out, or the tablet handed over): stop listening, do not reconnect.
  socket.on('signed_out', function () {
    socket.disconnect();
  });
})();
