// Passkeys (WebAuthn): add one on the two-factor page, confirm with one on the confirm page.
// Progressive enhancement: the forms stay hidden where the browser has no WebAuthn (or the page is
// not a secure context). The server sends the options as JSON (base64url for binary fields) and
// verifies everything; this file only converts bytes and calls navigator.credentials.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !window.isSecureContext || !navigator.credentials) {
    return;
  }

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var padded = base64 + "===".slice((base64.length + 3) % 4);
    var binary = window.atob(padded);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(descriptors) {
    return (descriptors || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: toBytes(descriptor.id) });
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = withIds(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = withIds(json.allowCredentials);
    return options;
  }

  function credentialJson(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      json.response.userHandle = response.userHandle ? toBase64url(response.userHandle) : undefined;
    }
    return json;
  }

  function post(form, url, body) {
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        },
        body: JSON.stringify(body || {}),
      })
      .then(function (response) {
        // A refusal that is not ours (a CSRF or proxy error page) is not JSON: the generic message then.
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            if (response.ok) {
              return data;
            }
            if (data.redirect) {
              window.location.assign(data.redirect);
            }
            throw new Error(data.detail || form.dataset.msgFailed);
          });
      });
  }

  function run(form, ceremony) {
    var status = form.querySelector(".cd-passkey-status");
    var button = form.querySelector("button[type=submit]");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      status.textContent = form.dataset.msgWorking;
      ceremony(form)
        .then(function (data) {
          window.location.assign(data.redirect);
        })
        .catch(function (error) {
          var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
          var known = error && error.name === "InvalidStateError";
          status.textContent = cancelled
            ? form.dataset.msgCancelled
            : known
              ? form.dataset.msgKnown
              : (error && error.message) || form.dataset.msgFailed;
          button.disabled = false;
        });
    });
  }

  var register = document.getElementById("cd-passkey-register");
  if (register) {
    run(register, function (form) {
      var name = form.querySelector("input[name=name]").value;
      return post(form, form.dataset.beginUrl)
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options) });
        })
        .then(function (credential) {
          return post(form, form.dataset.completeUrl, { name: name, credential: credentialJson(credential) });
        });
    });
  }

  var confirmForm = document.getElementById("cd-passkey-confirm");
  if (confirmForm) {
    run(confirmForm, function (form) {
      var next = form.querySelector("input[name=next]");
      return post(form, form.dataset.beginUrl)
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return post(form, form.dataset.completeUrl, {
            credential: credentialJson(credential),
            next: next ? next.value : "",
          });
        });
    });
  }
})();
