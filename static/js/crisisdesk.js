// CrisisDesk progressive enhancement. Every page works without this file.
(function () {
  "use strict";

  // Buttons with data-confirm ask first (publishing, withdrawing, closing, removing someone from the
  // crisis team). Once accepted the form carries confirmed=1, so the server does it at once; without
  // this file the server answers a confirmation page instead (crisisdesk/confirm.py).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (!message) {
      return;
    }
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    var form = event.target;
    var flag = form.querySelector('input[name="confirmed"]');
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "1";
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
