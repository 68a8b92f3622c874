'use strict';
// Progressive enhancement only: every page works without this script.
(function () {
  // Copy buttons: shown only when the clipboard can be written.
  if (navigator.clipboard) {
    for (const button of document.querySelectorAll('button.copy[data-copy]')) {
      button.hidden = false;
      button.addEventListener('click', function () {
        const field = document.getElementById(button.getAttribute('data-copy'));
        if (!field) {
          return;
        }
        navigator.clipboard.writeText(field.value).then(
          function () {
            button.textContent = 'Copied';
          },
          function () {
            field.select();
          },
        );
      });
    }
  }
  // A sign-in link carries its code in the fragment, which browsers never send: move it into the
  // form, drop it from the address bar and history, and submit.
  const form = document.getElementById('sign-in-link-form');
  if (form && window.location.hash.length > 1) {
    const code = window.location.hash.slice(1);
    history.replaceState(null, '', window.location.pathname);
    document.getElementById('sign-in-code').value = code;
    form.submit();
  }
})();
