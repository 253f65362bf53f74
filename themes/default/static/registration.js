/* Progressive enhancement of the registration form on event pages: live seat count, submission
 * without leaving the page, errors next to the fields, and the cancel link after a no-JS
 * submission. The person's cancel link is kept on this device (localStorage, per event: only the
 * link, never the name or the address) so that a reload does not lose it, and a token brought
 * back in the address bar leaves it once shown. Without this script the form still works (303
 * back to the page, CSS :target). */
(function () {
  "use strict";

  if (!window.fetch || !window.Promise || !window.URLSearchParams || !window.URL || !document.querySelector) {
    return;
  }

  var section = document.querySelector("[data-api][data-slug]");
  if (!section) {
    return;
  }
  var api = (section.getAttribute("data-api") || "/api").replace(/\/+$/, "");
  var slug = section.getAttribute("data-slug") || "";
  var countEl = section.querySelector("[data-registration-count]");
  var resultEl = section.querySelector("[data-registration-result]");
  var form = section.querySelector("form");
  var TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

  var MESSAGES = {
    registered: "C’est noté : vous êtes inscrit·e.",
    waitlisted: "L’événement est complet : vous êtes sur la liste d’attente.",
    duplicate: "Cette adresse e-mail est déjà inscrite à cet événement.",
    closed: "Les inscriptions à cet événement sont closes.",
    invalid: "Vérifiez les champs signalés.",
    limited: "Trop de tentatives depuis votre connexion. Réessayez dans une minute.",
    error: "Une erreur est survenue. Réessayez dans un instant.",
    cancelled: "Votre inscription est annulée."
  };

  function plural(n, word) {
    return n + " " + word + (n > 1 ? "s" : "");
  }

  function countText(data) {
    var count = Number(data.count) || 0;
    var waiting = Number(data.waitlist) || 0;
    if (data.capacity === null || data.capacity === undefined) {
      return plural(count, "inscrit");
    }
    if (data.remaining === 0) {
      return "complet, liste d’attente" + (waiting > 0 ? " (" + waiting + " en attente)" : "");
    }
    return plural(count, "inscrit") + " sur " + data.capacity;
  }

  /* `fresh`: ask the server, not the HTTP cache (the count is cacheable for a few seconds), and
   * store the answer, so that a page loaded right after does not show the older count. */
  function refreshCount(fresh) {
    if (!countEl || !slug) {
      return;
    }
    var options = { headers: { Accept: "application/json" } };
    if (fresh) {
      options.cache = "no-cache";
    }
    fetch(api + "/events/" + encodeURIComponent(slug), options)
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && typeof data.count === "number") {
          countEl.textContent = countText(data);
          section.setAttribute("data-registration-open", data.open ? "true" : "false");
        }
      })
      .catch(function () {
        /* Keep the count written in the page. */
      });
  }

  function cancelParagraph(url) {
    var p = document.createElement("p");
    p.className = "registration-cancel";
    p.appendChild(document.createTextNode("Gardez ce lien pour annuler si vous ne pouvez plus venir : "));
    var a = document.createElement("a");
    a.href = url;
    a.textContent = "annuler mon inscription";
    p.appendChild(a);
    return p;
  }

  /* Shows `text` (and the cancel link) in the result area and moves focus there, unless `quiet`
   * (shown on arrival, not in answer to something the person did). */
  function showResult(status, text, cancelUrl, quiet) {
    if (!resultEl) {
      return;
    }
    while (resultEl.firstChild) {
      resultEl.removeChild(resultEl.firstChild);
    }
    var p = document.createElement("p");
    p.textContent = text;
    resultEl.appendChild(p);
    if (cancelUrl) {
      resultEl.appendChild(cancelParagraph(cancelUrl));
    }
    resultEl.setAttribute("data-status", status);
    resultEl.setAttribute("tabindex", "-1");
    resultEl.hidden = false;
    if (!quiet && typeof resultEl.focus === "function") {
      resultEl.focus();
    }
  }

  /* The registration made on this device for this event: { status, url }, or null. Storage may
   * be refused (private browsing, a full quota): the page then works as before. */
  var STORED = "classmates:inscription:" + slug;

  function remember(status, url) {
    try {
      window.localStorage.setItem(STORED, JSON.stringify({ status: status, url: url }));
    } catch (e) {
      /* Not kept: the link is still on the page until it is left. */
    }
  }

  function forget() {
    try {
      window.localStorage.removeItem(STORED);
    } catch (e) {
      /* Nothing stored. */
    }
  }

  function remembered() {
    try {
      var kept = JSON.parse(window.localStorage.getItem(STORED) || "null");
      /* Only a cancel link of the API (an address that came from this page's storage, which
       * another script of the origin could have written, becomes a link: never javascript:). */
      var url = kept && typeof kept.url === "string" ? new URL(kept.url, window.location.href) : null;
      var path = url ? url.pathname.split("/registrations/") : [];
      if (url && /^https?:$/.test(url.protocol) && path.length === 2 && TOKEN.test(path[1])) {
        return { status: kept.status, url: url.href };
      }
    } catch (e) {
      /* Unreadable: as if nothing were kept. */
    }
    return null;
  }

  /* Shows the registration kept on this device, then checks that its link still works (it was
   * perhaps cancelled from the e-mail on another device): a link that leads nowhere is dropped. */
  function showRemembered() {
    var kept = remembered();
    if (!kept) {
      return;
    }
    var text = kept.status === "waitlisted"
      ? "Vous êtes sur la liste d’attente de cet événement (inscription faite sur cet appareil)."
      : "Vous êtes inscrit·e à cet événement (inscription faite sur cet appareil).";
    showResult(kept.status === "waitlisted" ? "waitlisted" : "registered", text, kept.url, true);
    fetch(kept.url, { method: "HEAD", cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) {
          forget();
          resultEl.hidden = true;
        }
      })
      .catch(function () {
        /* Offline: keep showing it. */
      });
  }

  function field(name) {
    return form && form.elements ? form.elements.namedItem(name) : null;
  }

  function clearFieldErrors() {
    if (!form) {
      return;
    }
    var errors = form.querySelectorAll("[data-error-for]");
    for (var i = 0; i < errors.length; i++) {
      errors[i].textContent = "";
      errors[i].hidden = true;
      var input = field(errors[i].getAttribute("data-error-for"));
      if (input && input.removeAttribute) {
        input.removeAttribute("aria-invalid");
      }
    }
  }

  /* Puts each message next to its field; returns the first field flagged. */
  function showFieldErrors(fields) {
    var first = null;
    Object.keys(fields || {}).forEach(function (name) {
      var errorEl = form.querySelector('[data-error-for="' + name + '"]');
      var input = field(name);
      if (errorEl) {
        errorEl.textContent = String(fields[name]);
        errorEl.hidden = false;
      }
      if (input && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        if (errorEl && errorEl.id) {
          var described = (input.getAttribute("aria-describedby") || "").split(/\s+/);
          if (described.indexOf(errorEl.id) < 0) {
            described.push(errorEl.id);
            input.setAttribute("aria-describedby", described.join(" ").trim());
          }
        }
        first = first || input;
      }
    });
    return first;
  }

  function value(name) {
    var input = field(name);
    return input && typeof input.value === "string" ? input.value : "";
  }

  function statusFor(httpStatus) {
    switch (httpStatus) {
      case 409: return "duplicate";
      case 403: return "closed";
      case 422: case 413: case 400: return "invalid";
      case 429: return "limited";
      default: return "error";
    }
  }

  function submit(event) {
    event.preventDefault();
    var button = form.querySelector('[type="submit"]');
    if (button) {
      button.disabled = true;
    }
    form.setAttribute("aria-busy", "true");
    clearFieldErrors();
    var consent = field("consent");
    var payload = {
      name: value("name"),
      email: value("email"),
      discord: value("discord"),
      consent: !!(consent && consent.checked),
      website: value("website")
    };
    var action = form.getAttribute("action") || api + "/events/" + encodeURIComponent(slug) + "/registrations";
    var succeeded = false;

    fetch(action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload)
    })
      .then(function (response) {
        return response.json().catch(function () {
          return {};
        }).then(function (data) {
          return { status: response.status, data: data || {} };
        });
      })
      .then(function (answer) {
        var data = answer.data;
        if (answer.status === 201 && (data.status === "registered" || data.status === "waitlisted")) {
          succeeded = true;
          var text = MESSAGES[data.status];
          if (data.status === "waitlisted" && data.position) {
            text += " Vous êtes en position " + data.position + " ; si une place se libère, elle vous revient automatiquement.";
          }
          form.reset();
          showResult(data.status, text, data.cancel_url);
          if (data.cancel_url) {
            remember(data.status, data.cancel_url);
          }
          refreshCount(true);
          return;
        }
        var status = statusFor(answer.status);
        var first = answer.status === 422 ? showFieldErrors(data.fields) : null;
        showResult(status, (status !== "invalid" && data.error) || MESSAGES[status]);
        if (first && typeof first.focus === "function") {
          first.focus();
        }
      })
      .catch(function () {
        showResult("error", MESSAGES.error);
      })
      .then(function () {
        form.removeAttribute("aria-busy");
        if (button && !succeeded) {
          button.disabled = false;
        }
      });
  }

  /* The event's own address again, without `?inscription=…&jeton=…#inscription-…`: the token
   * must not stay in the history, a bookmark or a screenshot of the address bar once the page
   * shows the link (kept on this device), and a reload shows the registration kept here. */
  function dropTokenFromAddress() {
    if (!window.history || typeof window.history.replaceState !== "function") {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    ["inscription", "position", "jeton"].forEach(function (name) {
      params.delete(name);
    });
    var query = params.toString();
    var hash = /^#inscription-/.test(window.location.hash) ? "" : window.location.hash;
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (query ? "?" + query : "") + hash);
  }

  /* Back from a no-JS submission: `?inscription=registered&jeton=…#inscription-registered`.
   * Returns whether there was one. */
  function showReturnedToken() {
    var params = new URLSearchParams(window.location.search);
    var status = params.get("inscription");
    var token = params.get("jeton");
    if (status === "cancelled") {
      forget();
    }
    if (!status || !token || !TOKEN.test(token)) {
      return false;
    }
    var url = api + "/registrations/" + token;
    if (status === "registered" || status === "waitlisted") {
      remember(status, url);
    }
    dropTokenFromAddress();
    var position = /^[0-9]{1,6}$/.test(params.get("position") || "") ? params.get("position") : "";
    var text = MESSAGES[status] || "";
    if (position) {
      text += " Vous êtes en position " + position + " ; si une place se libère, elle vous revient automatiquement.";
    }
    /* The page's own block (shown by :target) asks to keep the address, which no longer holds
     * the link once it leaves the address bar: the result area says it instead. */
    var block = document.getElementById("inscription-" + status);
    if (block) {
      block.hidden = true;
    }
    showResult(status, text, url);
    return true;
  }

  /* Back from a form submission or a cancellation (`?inscription=…`): the cached count (a few
   * seconds) would predate it. */
  refreshCount(/[?&]inscription=/.test(window.location.search));
  if (!showReturnedToken() && !/[?&]inscription=cancelled/.test(window.location.search)) {
    showRemembered();
  }
  if (form && form.addEventListener) {
    form.addEventListener("submit", submit);
  }
})();
