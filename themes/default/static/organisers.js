/* The organisers' page (/organisateurs/): the organiser picks an event (from the published
 * events manifest), pastes that event's organiser token, and sees its registrations from the
 * registrations function: counts, the list, the e-mails that could not be delivered, the private
 * join link (set or remove it); copies the e-mail addresses and downloads the list as CSV for
 * French Excel (UTF-8 with BOM, `;`), plain CSV (`,`) or JSON, all made here from the JSON list.
 * The token is kept in sessionStorage only (this tab, per event), never in localStorage nor in
 * the address. */
(function () {
  "use strict";

  var root = document.querySelector("[data-organisers]");
  if (!root || !window.fetch || !window.Promise || !window.Intl) {
    return;
  }
  var api = (root.getAttribute("data-api") || "/api").replace(/\/+$/, "");
  var manifestUrl = root.getAttribute("data-index") || "/evenements/index.json";
  var timeZone = root.getAttribute("data-timezone") || "Europe/Paris";

  function $(id) {
    return document.getElementById(id);
  }
  var form = $("orga-form");
  var select = $("orga-event");
  var tokenInput = $("orga-token");
  var forget = $("orga-forget");
  var statusEl = $("orga-status");
  var errorEl = $("orga-error");
  var panel = $("orga-panel");
  var joinForm = $("orga-join-form");
  var joinInput = $("orga-join-url");
  var joinClear = $("orga-join-clear");

  /* What is shown: the last list received, for the exports. */
  var current = null;

  var STORE_PREFIX = "classmates-organisers:";
  function storage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null;
    }
  }
  function savedToken(slug) {
    var s = storage();
    return (s && slug && s.getItem(STORE_PREFIX + "token:" + slug)) || "";
  }
  function saveToken(slug, token) {
    var s = storage();
    if (s) {
      s.setItem(STORE_PREFIX + "token:" + slug, token);
      s.setItem(STORE_PREFIX + "event", slug);
    }
  }
  function dropToken(slug) {
    var s = storage();
    if (s) {
      s.removeItem(STORE_PREFIX + "token:" + slug);
    }
  }

  function say(text) {
    statusEl.textContent = text;
  }
  function fail(text) {
    errorEl.textContent = text;
    errorEl.hidden = false;
    errorEl.focus();
  }
  function clearError() {
    errorEl.textContent = "";
    errorEl.hidden = true;
  }

  var when = new Intl.DateTimeFormat("fr-FR", {
    timeZone: timeZone,
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit"
  });
  /* `2026-11-20 13:00:05` in the site's time zone: what a spreadsheet reads as a date. */
  var sheetParts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23"
  });
  function sheetTime(iso) {
    var parts = {};
    sheetParts.formatToParts(new Date(iso)).forEach(function (p) {
      parts[p.type] = p.value;
    });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute + ":" + parts.second;
  }
  function humanTime(iso) {
    return when.format(new Date(iso));
  }
  function statusName(status) {
    return status === "waitlisted" ? "liste d’attente" : "inscrit·e";
  }
  var KINDS = { confirmation: "confirmation", promotion: "place libérée", reminder: "rappel" };

  /* The French sentence for a refused or failed request. */
  function problem(status, body) {
    if (status === 401) {
      return "Jeton refusé : ce n’est pas le jeton d’organisateur de cet événement. Vérifiez qu’il est copié en entier (commande classmates token).";
    }
    if (status === 403) {
      return "Ce jeton est celui d’un autre événement : choisissez l’événement qui lui correspond.";
    }
    if (status === 404) {
      return "Cet événement est inconnu du service d’inscription (il n’est peut-être pas encore publié).";
    }
    if (status === 400 && body && body.error) {
      return body.error;
    }
    return "Le service d’inscription ne répond pas. Réessayez dans un instant.";
  }

  function request(method, path, token, body) {
    var headers = { Accept: "application/json", Authorization: "Bearer " + token };
    var options = { method: method, headers: headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(api + path, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { status: response.status, ok: response.ok, data: data };
        });
    });
  }

  function cell(row, label, text) {
    var td = document.createElement("td");
    td.setAttribute("data-label", label);
    td.textContent = text;
    row.appendChild(td);
  }

  function showJoin(link) {
    var currentEl = $("orga-join-current");
    currentEl.textContent = "";
    if (link && link.url) {
      currentEl.appendChild(document.createTextNode("Lien actuel : "));
      var code = document.createElement("code");
      code.textContent = link.url;
      currentEl.appendChild(code);
      currentEl.appendChild(document.createTextNode(" (enregistré le " + humanTime(link.set_at) + ")"));
      joinInput.value = link.url;
      joinClear.hidden = false;
    } else {
      currentEl.textContent = "Aucun lien de connexion pour l’instant.";
      joinInput.value = "";
      joinClear.hidden = true;
    }
  }

  function show(list) {
    current = list;
    var event = list.event || {};
    $("orga-title").textContent = event.title || event.slug || "";
    $("orga-when").textContent = event.when || "";
    var counts = list.counts || {};
    $("orga-registered").textContent = String(counts.registered || 0) + (counts.capacity ? " sur " + counts.capacity : "");
    $("orga-waitlisted").textContent = String(counts.waitlisted || 0);
    $("orga-remaining").textContent = counts.capacity ? String(counts.remaining) : "illimitées";
    var rows = $("orga-rows");
    rows.textContent = "";
    (list.registrations || []).forEach(function (r) {
      var tr = document.createElement("tr");
      cell(tr, "Nom", r.name);
      cell(tr, "Discord", r.discord || "—");
      cell(tr, "Statut", statusName(r.status));
      cell(tr, "Position", r.position ? String(r.position) : "—");
      cell(tr, "Inscription", humanTime(r.registered_at));
      rows.appendChild(tr);
    });
    $("orga-empty").hidden = (list.registrations || []).length > 0;
    var failed = $("orga-failed");
    failed.textContent = "";
    (list.failed_messages || []).forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = (KINDS[m.kind] || m.kind) + " à " + m.recipient + " : " + m.attempts + " essai" + (m.attempts > 1 ? "s" : "") + " (" + m.error + ")";
      failed.appendChild(li);
    });
    $("orga-failed-none").hidden = (list.failed_messages || []).length > 0;
    showJoin(list.join_url);
    panel.hidden = false;
    forget.hidden = false;
  }

  function load(slug, token) {
    clearError();
    say("Chargement de la liste…");
    return request("GET", "/events/" + encodeURIComponent(slug) + "/registrations", token).then(
      function (answer) {
        if (!answer.ok) {
          if (answer.status === 401 || answer.status === 403) {
            dropToken(slug);
          }
          panel.hidden = true;
          current = null;
          say("");
          fail(problem(answer.status, answer.data));
          return;
        }
        saveToken(slug, token);
        show(answer.data);
        var n = (answer.data.registrations || []).length;
        say(n === 0 ? "Liste chargée : personne n’est encore inscrit." : "Liste chargée : " + n + " personne" + (n > 1 ? "s" : "") + ".");
      },
      function () {
        say("");
        fail(problem(0));
      }
    );
  }

  /* --- Exports, made from the JSON list ------------------------------------------------ */

  /* A value a spreadsheet cannot take for a formula, quoted for CSV. */
  function csvField(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) {
      text = "'" + text;
    }
    return '"' + text.replace(/"/g, '""') + '"';
  }
  function csv(separator, excel) {
    var lines = [["Nom", "E-mail", "Discord", "Statut", "Position", "Inscription"]];
    (current.registrations || []).forEach(function (r) {
      lines.push([
        r.name,
        r.email,
        r.discord || "",
        statusName(r.status),
        r.position ? String(r.position) : "",
        excel ? sheetTime(r.registered_at) : r.registered_at
      ]);
    });
    var text = lines
      .map(function (fields) {
        return fields.map(csvField).join(separator);
      })
      .join("\r\n") + "\r\n";
    return excel ? "\uFEFF" + text : text;
  }
  function download(name, type, text) {
    var blob = new Blob([text], { type: type });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
    say("Fichier " + name + " téléchargé.");
  }
  function slugOf() {
    return (current && current.event && current.event.slug) || select.value;
  }

  $("orga-csv-excel").addEventListener("click", function () {
    if (current) {
      download("inscriptions-" + slugOf() + "-excel.csv", "text/csv;charset=utf-8", csv(";", true));
    }
  });
  $("orga-csv").addEventListener("click", function () {
    if (current) {
      download("inscriptions-" + slugOf() + ".csv", "text/csv;charset=utf-8", csv(",", false));
    }
  });
  $("orga-json").addEventListener("click", function () {
    if (current) {
      download("inscriptions-" + slugOf() + ".json", "application/json", JSON.stringify(current, null, 2) + "\n");
    }
  });
  $("orga-copy").addEventListener("click", function () {
    if (!current) {
      return;
    }
    var emails = (current.registrations || []).map(function (r) {
      return r.email;
    });
    var text = emails.join(", ");
    var done = function () {
      say(emails.length + " adresse" + (emails.length > 1 ? "s" : "") + " e-mail copiée" + (emails.length > 1 ? "s" : "") + " (inscrits et liste d’attente).");
    };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) {
        done();
      } else {
        fail("La copie a échoué : votre navigateur la refuse. Téléchargez plutôt le CSV.");
      }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  });

  /* --- The join link ----------------------------------------------------------------- */

  joinForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var slug = slugOf();
    var token = savedToken(slug);
    clearError();
    request("PUT", "/events/" + encodeURIComponent(slug) + "/join-url", token, { url: joinInput.value.trim() }).then(
      function (answer) {
        if (!answer.ok) {
          fail(problem(answer.status, answer.data));
          return;
        }
        if (current) {
          current.join_url = answer.data.join_url;
        }
        showJoin(answer.data.join_url);
        say(answer.data.changed ? "Lien de connexion enregistré." : "Ce lien était déjà enregistré.");
      },
      function () {
        fail(problem(0));
      }
    );
  });
  joinClear.addEventListener("click", function () {
    var slug = slugOf();
    clearError();
    request("DELETE", "/events/" + encodeURIComponent(slug) + "/join-url", savedToken(slug)).then(
      function (answer) {
        if (!answer.ok) {
          fail(problem(answer.status, answer.data));
          return;
        }
        if (current) {
          current.join_url = null;
        }
        showJoin(null);
        say("Lien de connexion retiré.");
      },
      function () {
        fail(problem(0));
      }
    );
  });

  /* --- Choosing the event and the token -------------------------------------------------- */

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var slug = select.value;
    var token = tokenInput.value.trim();
    if (!slug) {
      fail("Choisissez d’abord l’événement.");
      select.focus();
      return;
    }
    if (!token) {
      fail("Collez le jeton d’organisateur de l’événement.");
      tokenInput.focus();
      return;
    }
    load(slug, token);
  });
  select.addEventListener("change", function () {
    tokenInput.value = savedToken(select.value);
  });
  forget.addEventListener("click", function () {
    dropToken(select.value);
    tokenInput.value = "";
    panel.hidden = true;
    current = null;
    forget.hidden = true;
    clearError();
    say("Jeton oublié.");
  });

  /* The events that take registrations: upcoming first (soonest first), then past ones. */
  function fillEvents(manifest) {
    var now = Date.now();
    var events = (manifest.events || []).filter(function (e) {
      return e.registration;
    });
    var upcoming = events.filter(function (e) {
      return Date.parse(e.end) >= now;
    });
    var past = events.filter(function (e) {
      return Date.parse(e.end) < now;
    });
    upcoming.sort(function (a, b) {
      return Date.parse(a.start) - Date.parse(b.start);
    });
    past.sort(function (a, b) {
      return Date.parse(b.start) - Date.parse(a.start);
    });
    upcoming.concat(past).forEach(function (e) {
      var option = document.createElement("option");
      option.value = e.slug;
      option.textContent = e.title + " — " + e.when + (Date.parse(e.end) < now ? " (passé)" : "");
      select.appendChild(option);
    });
    var s = storage();
    var last = s && s.getItem(STORE_PREFIX + "event");
    if (last && events.some(function (e) { return e.slug === last; })) {
      select.value = last;
      tokenInput.value = savedToken(last);
      if (tokenInput.value) {
        load(last, tokenInput.value);
      }
    }
  }

  fetch(manifestUrl, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("manifest " + response.status);
      }
      return response.json();
    })
    .then(fillEvents, function () {
      fail("La liste des événements du site n’a pas pu être lue. Rechargez la page.");
    });
  form.querySelector("button[type=submit]").disabled = false;
})();
