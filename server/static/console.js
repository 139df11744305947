/* Comfort for the console, never required: keyboard shortcuts (j/k to
 * move in the queue, o or Enter to open, a to take a case, c to close,
 * m to move, / to the filters, ? for the list of keys) and revealing a
 * blurred screenshot in place.  Every action is also a plain link or
 * form. */
(function () {
  'use strict';
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' ||
      t.tagName === 'SELECT' || t.isContentEditable);
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-case]'));
  var cur = -1;
  function select(i) {
    if (rows.length === 0) { return; }
    if (cur >= 0) { rows[cur].classList.remove('current'); rows[cur].removeAttribute('aria-current'); }
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows[cur].classList.add('current');
    rows[cur].setAttribute('aria-current', 'true');
    var a = rows[cur].querySelector('a');
    if (a) { a.focus(); }
  }
  function focusField(id) {
    var el = document.getElementById(id);
    if (el) { el.scrollIntoView({ block: 'center' }); el.focus(); return true; }
    return false;
  }
  var keys = document.getElementById('keys');
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) { return; }
    switch (e.key) {
    case 'j': select(cur + 1); break;
    case 'k': select(cur - 1); break;
    case 'o':
    case 'Enter':
      if (cur >= 0) { rows[cur].querySelector('a').click(); } else { return; }
      break;
    case 'a':
      var f = document.getElementById('form-assign');
      if (f && f.action.indexOf('/assign') > 0) { f.submit(); } else { return; }
      break;
    case 'c': if (!focusField('close-outcome')) { return; } break;
    case 'm': if (!focusField('move-department')) { return; } break;
    case '/': if (!focusField('q')) { window.location.href = '/search'; } break;
    case '?': if (keys) { keys.hidden = !keys.hidden; } break;
    case 'Escape': if (keys) { keys.hidden = true; } break;
    default: return;
    }
    e.preventDefault();
  });
  var link = document.querySelector('.keys-link');
  if (link && keys) {
    link.addEventListener('click', function (e) { e.preventDefault(); keys.hidden = !keys.hidden; });
  }
  /* A blurred screenshot: show it here; the server logs the reveal. */
  Array.prototype.forEach.call(document.querySelectorAll('a.reveal'), function (a) {
    var img = a.querySelector('img.blur');
    if (!img) { return; }
    a.addEventListener('click', function (e) {
      e.preventDefault();
      img.src = a.getAttribute('data-full');
      img.classList.remove('blur');
      img.alt = a.getAttribute('data-alt') || '';
      var label = a.querySelector('.reveal-label');
      if (label) { label.remove(); }
    });
  });
})();
