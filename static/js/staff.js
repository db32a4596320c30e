/*
 * My Safeguarding Experience, staff pages: urgent signals live, without a reload.
 *
 * Progressive enhancement of the urgent panel (app/templates/staff/_signals.html) on the cases page
 * and on a case page. Without this script the panel is drawn by the server and is up to date at every
 * page load; with it, the Socket.IO namespace /staff (signed in by the staff session cookie) pushes
 * `signal` events (app/followups.py) and the panel follows them:
 * - an urgent signal raised is added, drawn exactly like the server's item, acknowledge form included;
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
  var pageCase = onCase ? onCase.getAttribute('data-case') : null; // null: every case (home page)
  var token = document.querySelector('input[name="csrf_token"]'); // one per session, any form's
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  // A polite status line, in the page from the start so that screen readers hear it when it changes.
  var status = document.createElement('p');
  status.className = 'staff-live-status';
  status.setAttribute('role', 'status');
  panel.parentNode.insertBefore(status, panel);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = String(text);
    }
    return node;
  }

  function hidden(name, value) {
    var input = el('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    return input;
  }

  // "01 Dec 2026 14:03 UTC", as the server writes it. The server's times are UTC, so the digits are
  // read straight from the ISO string: no local time zone can shift them.
  function when(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || '');
    return m ? m[3] + ' ' + MONTHS[parseInt(m[2], 10) - 1] + ' ' + m[1] + ' ' + m[4] + ':' + m[5] + ' UTC' : '';
  }

  function find(id) {
    return list.querySelector('[data-signal="' + String(parseInt(id, 10)) + '"]');
  }

  function item(signal) {
    var li = el('li', 'staff-urgent-item');
    li.setAttribute('data-signal', String(signal.id));
    li.setAttribute('data-kind', String(signal.kind));
    var what = el('p', 'staff-urgent-item__what');
    what.appendChild(el('strong', null, signal.label));
    var about = '';
    if (pageCase === null) { // the cases page names the case; a case page does not need to
      var link = el('a', 'app-link', 'case ' + signal.reference);
      link.href = '/staff/cases/' + encodeURIComponent(signal.case_id);
      what.appendChild(document.createTextNode(' on '));
      what.appendChild(link);
      about = ', case ' + signal.reference;
    }
    what.appendChild(document.createTextNode(' '));
    var raised = el('span', 'staff-follow-up__when', 'raised ');
    var time = el('time', null, when(signal.raised_at));
    time.setAttribute('datetime', signal.raised_at || '');
    raised.appendChild(time);
    what.appendChild(raised);
    li.appendChild(what);

    var form = el('form', 'staff-inline');
    form.method = 'post';
    form.action = '/staff/follow-ups/' + encodeURIComponent(signal.id) + '/acknowledge';
    form.appendChild(hidden('csrf_token', token ? token.value : ''));
    form.appendChild(hidden('back', back));
    var button = el('button', 'app-button staff-button--small', 'I am dealing with this');
    button.type = 'submit';
    button.setAttribute('data-role', 'acknowledge');
    button.appendChild(el('span', 'app-visually-hidden', ': ' + signal.label + about));
    form.appendChild(button);
    li.appendChild(form);
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
    // A live region inside a hidden panel is not heard: show the panel first, then add the item a
    // moment later, so the list (aria-live="polite") announces it.
    panel.hidden = false;
    panel.classList.remove('staff-urgent-panel--empty');
    window.setTimeout(function () {
      if (!find(signal.id)) {
        list.appendChild(item(signal));
      }
    }, 150);
  }

  function remove(id) {
    var found = find(id);
    if (found) {
      found.parentNode.removeChild(found);
    }
    if (!list.querySelector('[data-signal]')) {
      panel.hidden = true;
      panel.classList.add('staff-urgent-panel--empty');
    }
  }

  function escalated(signal) {
    var found = find(signal.id);
    var what = found && found.querySelector('.staff-urgent-item__what');
    if (what && !what.querySelector('.staff-tag--urgent')) {
      var now = new Date().toISOString(); // the server escalated it just now
      what.appendChild(document.createTextNode(' '));
      what.appendChild(el('strong', 'staff-tag staff-tag--urgent', 'Escalated ' + when(now).slice(-9)));
    }
  }

  var socket = window.io('/staff', { transports: ['websocket', 'polling'] });
  var lost = false;

  socket.on('signal', function (signal) {
    if (!signal || (pageCase !== null && String(signal.case_id) !== pageCase)) {
      return; // a signal on another case than the one this page shows
    }
    if (signal.event === 'raised' && signal.urgent) {
      add(signal);
    } else if (signal.event === 'raised') {
      status.textContent = 'New follow-up on case ' + signal.reference + ': ' + signal.label +
        '. It is in "Needs follow-up".';
    } else if (signal.event === 'acknowledged' || signal.event === 'withdrawn') {
      remove(signal.id);
    } else if (signal.event === 'escalated') {
      escalated(signal);
    }
  });

  // Signals pushed while the connection was down are not sent again: say so, rather than reload
  // and lose what someone was typing. data-live says whether the list is live (tests wait for it).
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

  // This sign-in ended (signed out, or the tablet handed over): stop listening.
  socket.on('signed_out', function () {
    socket.disconnect();
  });
})();
