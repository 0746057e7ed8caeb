// CrisisDesk progressive enhancement. Every page works without this file.
(function () {
  "use strict";

  // Buttons with data-confirm ask first (e.g. removing someone from the crisis team).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Close the user menu (a <details> element) when clicking elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.cd-usermenu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();
