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
  // Links with data-load-fragment (the war room's "Add someone or change the lead") fetch their page's
  // bare fragment into the enclosing [data-fragment] element; without this file, or if the fetch
  // fails, the link opens the full page (incidents.views.ManageTeamView).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-load-fragment]");
    var target = link && link.closest("[data-fragment]");
    if (!target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
      return;
    }
    event.preventDefault();
    fetch(link.href, { credentials: "same-origin", headers: { "X-CrisisDesk-Fragment": "1" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        target.innerHTML = html;
        var first = target.querySelector("select, input:not([type=hidden]), textarea");
        if (first) {
          first.focus();
        }
      })
      .catch(function () {
        window.location.assign(link.href);
      });
  });
})();
