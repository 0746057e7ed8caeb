// Live pages (crisisdesk/live.py): poll /live/ with If-None-Match; on a change, re-fetch this page
// and swap its [data-live-region] elements. Without this file every page works as before (reload).
(function () {
  "use strict";

  var INTERVAL = 2500;
  var watch = document.getElementById("cd-live");
  if (!watch || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = watch.getAttribute("data-live-url") + "?t=" + encodeURIComponent(watch.getAttribute("data-live-topics"));
  var etag = watch.getAttribute("data-live-etag");
  var pending = false; // a region could not be swapped (someone is typing in it): try again later
  var ticks = 0;
  var busy = false;
  var timer = null;

  function isDirty(region) {
    // A region holding the focused control or a changed form field is left alone this time.
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active)) {
      return true;
    }
    var fields = region.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) return true;
      } else if (field.tagName === "SELECT") {
        for (var j = 0; j < field.options.length; j++) {
          if (field.options[j].selected !== field.options[j].defaultSelected) return true;
        }
      } else if (field.type !== "hidden" && field.value !== field.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var skipped = false;
    document.querySelectorAll("[data-live-region]").forEach(function (region) {
      var name = region.getAttribute("data-live-region");
      var next = fresh.querySelector('[data-live-region="' + name.replace(/["\\]/g, "") + '"]');
      if (!next || next.innerHTML === region.innerHTML) {
        return;
      }
      if (isDirty(region)) {
        skipped = true;
        return;
      }
      region.replaceWith(document.importNode(next, true));
    });
    pending = skipped;
    document.dispatchEvent(new CustomEvent("cd:live-updated"));
  }

  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "X-CrisisDesk-Live": "1" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          swap(html);
        }
      });
  }

  function poll() {
    if (busy || document.visibilityState === "hidden") {
      return;
    }
    busy = true;
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) {
          // Retry a skipped region every fourth tick (10 s), not on each: typing should not cost a page a tick.
          ticks += 1;
          return pending && ticks % 4 === 0 ? refresh() : null;
        }
        if (response.status === 200) {
          return response.json().then(function (data) {
            etag = data.etag;
            return refresh();
          });
        }
        // 400/403: signed out or the token is no longer valid; stop (a reload starts again).
        window.clearInterval(timer);
        return null;
      })
      .catch(function () {
        // Network hiccup: the next tick tries again.
      })
      .then(function () {
        busy = false;
      });
  }

  timer = window.setInterval(poll, INTERVAL);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      poll();
    }
  });
})();
