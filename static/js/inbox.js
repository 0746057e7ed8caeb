// Keyboard shortcuts of the mention inbox (templates/mentions/inbox.html), Gmail-like.
// Progressive enhancement: the inbox works with the mouse alone; this file only drives the
// existing controls (the rows' links and checkboxes, the bulk triage form, the filter form).
(function () {
  "use strict";

  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-mention-url]"));
  var triageForm = document.getElementById("triage-form");
  var statusSelect = triageForm && triageForm.querySelector("select[name=status]");
  var incidentSelect = triageForm && triageForm.querySelector("select[name=incident]");
  var filterForm = document.querySelector("form.cd-filters");
  var help = document.getElementById("inbox-shortcuts");
  var hint = document.querySelector(".cd-shortcut-hint");
  var current = -1; // index of the current row in `rows`; -1 until the user moves

  // The position survives the bulk form's redirect through sessionStorage rather than a URL parameter:
  // the server-side form, the filters and the pagination links stay untouched, the value is per tab, and
  // it is read once, so coming back to the inbox later starts from the top again.
  var CURSOR_KEY = "crisisdesk.inbox.cursor";
  var here = window.location.pathname + window.location.search;

  // Status shortcuts → values of the bulk form's status select (MentionStatus).
  var STATUS_KEYS = { t: "triaged", i: "ignored", e: "escalated", n: "new" };

  function checkboxOf(row) {
    return row ? row.querySelector("input[type=checkbox][name=ids]") : null;
  }

  function checkboxes() {
    return rows.map(checkboxOf).filter(Boolean);
  }

  // Mark ticked rows so they stand out while the cursor moves elsewhere.
  function paintSelection(row) {
    var box = checkboxOf(row);
    row.classList.toggle("cd-row-selected", Boolean(box && box.checked));
  }

  // Make row `index` current (clamped to the page); `keepFocus` leaves focus where a click put it.
  function setCurrent(index, keepFocus) {
    if (!rows.length) {
      return;
    }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0 && rows[current]) {
      rows[current].classList.remove("cd-row-current");
      rows[current].removeAttribute("aria-current");
    }
    current = index;
    var row = rows[current];
    row.classList.add("cd-row-current");
    row.setAttribute("aria-current", "true");
    // Focus the row so screen readers announce it; tabindex -1 keeps it out of the Tab order.
    row.tabIndex = -1;
    if (!keepFocus) {
      row.focus({ preventScroll: true });
    }
    row.scrollIntoView({ block: "nearest" });
  }

  function toggleCurrent() {
    var box = checkboxOf(rows[current]);
    if (box) {
      box.checked = !box.checked;
      paintSelection(rows[current]);
    }
  }

  // "a": tick every row of the page, or untick them all when they already are.
  function toggleAll() {
    var boxes = checkboxes();
    var tick = boxes.some(function (box) {
      return !box.checked;
    });
    boxes.forEach(function (box) {
      box.checked = tick;
    });
    rows.forEach(paintSelection);
  }

  function openCurrent() {
    if (rows[current]) {
      window.location.assign(rows[current].getAttribute("data-mention-url"));
    }
  }

  // Fill the existing bulk form's status and submit it; with nothing ticked, act on the current row.
  // The incident select is left as the user set it: the form is sent as shown on screen.
  function setStatus(value) {
    if (!triageForm || !statusSelect || !statusSelect.querySelector('option[value="' + value + '"]')) {
      return;
    }
    var ticked = checkboxes().filter(function (box) {
      return box.checked;
    });
    if (!ticked.length) {
      var box = checkboxOf(rows[current]);
      if (!box) {
        return; // nothing ticked and no current row: nothing to do
      }
      box.checked = true;
    }
    statusSelect.value = value;
    try {
      window.sessionStorage.setItem(CURSOR_KEY, JSON.stringify({ page: here, index: current }));
    } catch (error) {
      // Storage may be disabled; the triage still happens, only the cursor is lost.
    }
    triageForm.requestSubmit();
  }

  function restoreCursor() {
    var saved = null;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(CURSOR_KEY) || "null");
      window.sessionStorage.removeItem(CURSOR_KEY);
    } catch (error) {
      saved = null;
    }
    if (saved && saved.page === here && saved.index >= 0) {
      setCurrent(saved.index); // clamped: the row may have left a filtered list
    }
  }

  function focusFirstFilter() {
    var field = filterForm && filterForm.querySelector("input:not([type=hidden]), select, textarea");
    if (field) {
      field.focus();
    }
  }

  function toggleHelp() {
    if (!help) {
      return;
    }
    if (help.open) {
      help.close();
    } else {
      help.showModal(); // modal: focus moves inside, Escape closes it natively
    }
  }

  // Keys typed into a form field belong to the field, not to the shortcuts. A focused checkbox or
  // button takes no text, so shortcuts still work after ticking a row with the mouse.
  var NOT_TEXT = /^(checkbox|radio|button|submit|reset)$/;

  function isTyping(target) {
    if (!(target instanceof HTMLElement)) {
      return false;
    }
    if (target.tagName === "INPUT") {
      return !NOT_TEXT.test(target.type);
    }
    return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || isTyping(event.target)) {
      return;
    }
    var key = event.key;
    if (help && help.open) {
      // While the help is open only "?" (and the dialog's own Escape) does anything.
      if (key === "?") {
        event.preventDefault();
        toggleHelp();
      }
      return;
    }
    if (key === "Enter" && event.target.closest && event.target.closest("a, button, summary")) {
      return; // Enter on a focused link or button keeps its usual meaning
    }
    var handled = true;
    if (key === "j") {
      setCurrent(current + 1);
    } else if (key === "k") {
      setCurrent(current < 0 ? 0 : current - 1);
    } else if (key === "o" || key === "Enter") {
      handled = current >= 0;
      openCurrent();
    } else if (key === "x") {
      toggleCurrent();
    } else if (key === "a") {
      toggleAll();
    } else if (Object.prototype.hasOwnProperty.call(STATUS_KEYS, key)) {
      setStatus(STATUS_KEYS[key]);
    } else if (key === "l") {
      if (incidentSelect) {
        incidentSelect.focus();
      }
    } else if (key === "/") {
      focusFirstFilter();
    } else if (key === "?") {
      toggleHelp();
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault(); // e.g. keep "/" out of the search field it just focused
    }
  });

  // Mouse and keyboard mix: clicking in a row makes it current; ticking by mouse repaints the row.
  rows.forEach(function (row, index) {
    row.addEventListener("click", function (event) {
      if (!event.target.closest("a")) {
        setCurrent(index, true);
      }
    });
    var box = checkboxOf(row);
    if (box) {
      box.addEventListener("change", function () {
        paintSelection(row);
      });
    }
    paintSelection(row); // the browser may restore ticks on back/forward
  });

  if (help) {
    help.querySelector("[data-close-shortcuts]").addEventListener("click", function () {
      help.close();
    });
  }
  if (hint) {
    hint.hidden = false;
  }
  restoreCursor();
})();
