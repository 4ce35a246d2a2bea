/*
 * django-twostep: security keys and passkeys (WebAuthn) on the pages.
 *
 * The app's only script, loaded by src (a strict Content-Security-Policy allows
 * it: no inline script, no style, nothing from elsewhere). Every other way to
 * log in works without it. It acts on the elements marked data-twostep-webauthn:
 *
 *   "create"   the add form of the key list: a new key;
 *   "get"      page 2 and the step-up page: a key as the second factor;
 *   "passkey"  page 1: a passkey alone logs in.
 *
 * Each names data-options-url, a POST endpoint that answers {"publicKey": ...}
 * (or {"location": ...} when the browser should go elsewhere, or an error with
 * its "detail"), and data-form, the id of the form whose hidden "credential"
 * field takes the browser's answer (credential.toJSON()) before it is
 * submitted as any form is. Inside it: [data-webauthn-start] buttons,
 * [data-webauthn-supported] parts shown when this browser can run a ceremony,
 * [data-webauthn-unsupported] parts hidden then, and [data-webauthn-error]
 * messages shown (as alerts) when a ceremony fails (their text comes
 * translated from the page). data-autostart runs the ceremony as the page loads; data-conditional
 * offers passkeys in the username field's autofill (conditional mediation),
 * asked again every data-ttl seconds (the options' lifetime).
 */
(function () {
  "use strict";

  var supported =
    typeof window.PublicKeyCredential === "function" &&
    !!navigator.credentials &&
    typeof window.fetch === "function";

  // -- the JSON forms (for browsers without PublicKeyCredential's own helpers) --------

  function decode(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function encode(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: decode(descriptor.id) });
    });
  }

  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      user: Object.assign({}, json.user, { id: decode(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: decode(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function answerJSON(credential) {
    if (typeof credential.toJSON === "function") {
      return credential.toJSON();
    }
    var response = credential.response;
    var json = { clientDataJSON: encode(response.clientDataJSON) };
    if (response.attestationObject) {
      json.attestationObject = encode(response.attestationObject);
      json.transports =
        typeof response.getTransports === "function" ? response.getTransports() : [];
    } else {
      json.authenticatorData = encode(response.authenticatorData);
      json.signature = encode(response.signature);
      if (response.userHandle) {
        json.userHandle = encode(response.userHandle);
      }
    }
    var answer = {
      id: credential.id,
      rawId: encode(credential.rawId),
      type: credential.type,
      response: json,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (credential.authenticatorAttachment) {
      answer.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return answer;
  }

  // -- talking to the server --------------------------------------------------------------

  // Thrown when the page is on its way elsewhere (nothing more to do here).
  function Moved() {}

  function Refused(detail) {
    this.name = "Refused";
    this.detail = detail || "";
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function fetchOptions(box, form) {
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", csrfToken(form));
    return fetch(box.getAttribute("data-options-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      body: body,
    })
      .then(function (response) {
        return response.json().then(
          function (data) {
            return { ok: response.ok, data: data || {} };
          },
          function () {
            return { ok: false, data: {} };
          }
        );
      })
      .then(function (result) {
        if (result.data.location) {
          window.location.assign(result.data.location);
          throw new Moved();
        }
        if (!result.ok || !result.data.publicKey) {
          throw new Refused(result.data.detail);
        }
        return result.data;
      });
  }

  // -- one element and its ceremony ---------------------------------------------------------

  function each(nodes, action) {
    Array.prototype.forEach.call(nodes, action);
  }

  function setUp(box) {
    if (box.twostepReady) {
      return; // the script was loaded twice
    }
    box.twostepReady = true;
    var form = document.getElementById(box.getAttribute("data-form"));
    var kind = box.getAttribute("data-twostep-webauthn");
    var starts = box.querySelectorAll("[data-webauthn-start]");
    var errors = box.querySelectorAll("[data-webauthn-error]");
    each(box.querySelectorAll("[data-webauthn-supported]"), function (part) {
      part.hidden = !supported;
    });
    each(box.querySelectorAll("[data-webauthn-unsupported]"), function (part) {
      part.hidden = supported;
    });
    if (!supported || !form) {
      return;
    }
    each(errors, function (message) {
      message.twostepText = message.textContent;
    });
    var busy = false;
    var conditional = null; // the autofill request waiting for a passkey

    function showError(name, detail) {
      each(errors, function (message) {
        message.hidden = true;
      });
      var message =
        box.querySelector('[data-webauthn-error="' + name + '"]') ||
        box.querySelector('[data-webauthn-error="failed"]');
      if (message) {
        message.textContent = detail || message.twostepText;
        message.setAttribute("role", "alert"); // said out loud as it appears
        message.hidden = false;
      }
    }

    function setBusy(value) {
      busy = value;
      each(starts, function (button) {
        button.disabled = value;
      });
    }

    function ceremony(data, mediation, signal) {
      if (kind === "create") {
        return navigator.credentials.create({ publicKey: creationOptions(data.publicKey) });
      }
      var request = { publicKey: requestOptions(data.publicKey) };
      if (mediation) {
        request.mediation = mediation;
        request.signal = signal;
      }
      return navigator.credentials.get(request);
    }

    function send(credential, data) {
      form.elements.namedItem("credential").value = JSON.stringify(answerJSON(credential));
      var passkeyId = form.elements.namedItem("passkey_id");
      if (passkeyId && data.passkey_id) {
        passkeyId.value = data.passkey_id;
      }
      form.submit();
    }

    function run() {
      if (busy) {
        return;
      }
      setBusy(true);
      each(errors, function (message) {
        message.hidden = true;
      });
      stopConditional()
        .then(function () {
          return fetchOptions(box, form);
        })
        .then(function (data) {
          return ceremony(data).then(function (credential) {
            if (!credential) {
              throw new Refused();
            }
            send(credential, data); // busy until the next page
          });
        })
        .catch(function (error) {
          if (error instanceof Moved) {
            return;
          }
          setBusy(false);
          var exists = kind === "create" && error && error.name === "InvalidStateError";
          showError(exists ? "exists" : "failed", error instanceof Refused ? error.detail : "");
          armConditional();
        });
    }

    // Passkeys in the username field's autofill: a request that waits until the
    // person picks one (or the button, or new options, cancels it).
    function armConditional() {
      if (
        kind !== "passkey" ||
        conditional ||
        busy ||
        !box.hasAttribute("data-conditional") ||
        typeof PublicKeyCredential.isConditionalMediationAvailable !== "function" ||
        typeof AbortController !== "function"
      ) {
        return;
      }
      var request = { controller: new AbortController(), timer: null };
      var signal = request.controller.signal;
      conditional = request;
      request.done = PublicKeyCredential.isConditionalMediationAvailable()
        .then(function (available) {
          if (!available || signal.aborted) {
            return;
          }
          return fetchOptions(box, form).then(function (data) {
            if (signal.aborted) {
              return;
            }
            var ttl = parseInt(box.getAttribute("data-ttl"), 10);
            if (ttl > 30) {
              request.timer = setTimeout(function () {
                if (conditional === request) {
                  stopConditional().then(armConditional);
                }
              }, (ttl - 15) * 1000);
            }
            return ceremony(data, "conditional", signal).then(function (credential) {
              if (credential && !signal.aborted && !busy) {
                setBusy(true);
                send(credential, data);
              }
            });
          });
        })
        .catch(function () {
          // Cancelled, refused or not available here: the button still works.
        });
    }

    function stopConditional() {
      var request = conditional;
      conditional = null;
      if (!request) {
        return Promise.resolve();
      }
      clearTimeout(request.timer);
      request.controller.abort();
      return request.done;
    }

    if (kind === "create") {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        run();
      });
    } else {
      each(starts, function (button) {
        button.addEventListener("click", function (event) {
          event.preventDefault();
          run();
        });
      });
    }
    if (box.hasAttribute("data-autostart")) {
      run();
    } else {
      armConditional();
    }
  }

  each(document.querySelectorAll("[data-twostep-webauthn]"), setUp);
})();
