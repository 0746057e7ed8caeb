// Copy buttons for the copy-ready channel texts (statement page). Progressive enhancement: the
// buttons stay hidden without JavaScript or without the Clipboard API, and the text stays selectable.
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }

  function announce(button, text) {
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!status) {
      return;
    }
    // Empty first, so the same message is announced again on a second copy.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  document.querySelectorAll(".cd-copy-button").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(
        function () {
          announce(button, button.getAttribute("data-copied"));
        },
        function () {
          source.focus();
          source.select();
          announce(button, button.getAttribute("data-copy-failed"));
        }
      );
    });
  });
})();
