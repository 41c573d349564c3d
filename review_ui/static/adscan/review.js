// adscan review keyboard: j/k move, o/Enter open, x select, e/d/n choose a decision.
(function () {
  "use strict";
  var DECISION_KEYS = { e: "escalate", d: "dismiss", n: "needs_info" };

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll(".js-keyboard-list tr.ad-row"));
  var current = -1;

  function focusRow(i) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("is-current", n === current); });
    var link = rows[current].querySelector("a");
    if (link) { link.focus(); }
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function chooseDecision(value) {
    var form = document.getElementById("decision-form") || document.getElementById("bulk-form");
    if (!form) { return false; }
    var radio = form.querySelector('input[name="decision"][value="' + value + '"]');
    if (!radio) { return false; }
    radio.checked = true;
    var action = form.querySelector('select[name="action"]');
    if (action) { action.value = "decide"; }
    filterReasons(form);
    var reason = form.querySelector('select[name="reason"]');
    if (reason) { reason.focus(); }
    return true;
  }

  // Show only the reasons that belong to the chosen decision.
  function filterReasons(form) {
    var radio = form.querySelector('input[name="decision"]:checked');
    var reason = form.querySelector('select[name="reason"]');
    if (!radio || !reason) { return; }
    var label = radio.parentNode.textContent.trim();
    Array.prototype.forEach.call(reason.querySelectorAll("optgroup"), function (group) {
      var match = group.label === label;
      group.hidden = !match;
      group.disabled = !match;
      if (!match && reason.selectedOptions.length && reason.selectedOptions[0].parentNode === group) {
        reason.value = "";
      }
    });
  }

  document.querySelectorAll("#decision-form, #bulk-form").forEach(function (form) {
    form.querySelectorAll('input[name="decision"]').forEach(function (radio) {
      radio.addEventListener("change", function () { filterReasons(form); });
    });
  });

  document.querySelectorAll(".js-select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('input[name="ad_ids"]').forEach(function (b) { b.checked = box.checked; });
    });
  });

  rows.forEach(function (row, n) {
    row.addEventListener("click", function (event) {
      if (event.target.tagName === "A" || event.target.tagName === "INPUT") { return; }
      focusRow(n);
    });
  });

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (key === "k") { focusRow(current - 1); event.preventDefault(); }
    else if ((key === "o" || key === "Enter") && current >= 0) {
      window.location.assign(rows[current].getAttribute("data-href"));
      event.preventDefault();
    } else if (key === "x" && current >= 0) {
      var box = rows[current].querySelector('input[name="ad_ids"]');
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    } else if (Object.prototype.hasOwnProperty.call(DECISION_KEYS, key)) {
      if (chooseDecision(DECISION_KEYS[key])) { event.preventDefault(); }
    }
  });
})();
