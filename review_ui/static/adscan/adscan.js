// adscan: small behaviours shared by every page. Loaded as a file: the CSP forbids inline script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The language select submits its form on change (the button stays for no-JS use).
  document.querySelectorAll("select.js-autosubmit").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
