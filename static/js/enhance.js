/* Runs in <head>, before the page is drawn: tell the CSS that JavaScript is on.
   Kept tiny and external: the Content-Security-Policy allows no inline script.
   Only where ES modules run (the chat is one): elsewhere the plain forms stay whole. */
(function (root) {
  'use strict';
  if ('noModule' in document.createElement('script')) {
    root.className = root.className.replace(/(^|\s)app-no-js(\s|$)/, '$1app-js$2');
    if (!/(^|\s)app-js(\s|$)/.test(root.className)) {
      root.className += ' app-js';
    }
  }
  // As in the GOV.UK Design System: a page that opens with a problem puts focus on its summary.
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.querySelector('[data-module="app-error-summary"]');
    if (summary && typeof summary.focus === 'function') {
      summary.focus();
    }
  });
})(document.documentElement);
