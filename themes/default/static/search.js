// Search of /recherche/, with no server: reads the static index built by `classmates`
// (src/render/search.rs) piece by piece. The entry file (/recherche/index.json) lists the shards
// of words; as the reader types, only the shards holding words that start with the typed ones
// are fetched (then kept), then the cards of the results shown, and the filters file once a
// filter is chosen. Words match by prefix (from two letters; a one-letter word must be whole),
// accents and case ignored; results are ranked title > tags > summary > body, then newest first.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var kindSelect = form.querySelector("select[name=type]");
  var categorySelect = form.querySelector("select[name=categorie]");
  var tagSelect = form.querySelector("select[name=etiquette]");
  var status = document.getElementById("recherche-statut");
  var list = document.getElementById("recherche-resultats");
  var more = document.getElementById("recherche-plus");
  var PAGE = 20; // results shown at once, then PAGE more per click
  var LABELS = { article: "Article", series: "Série", resource: "Ressource", event: "Événement" };
  // Field weights, by the letter ending a posting; an exact word counts one more than a prefix.
  var WEIGHTS = { T: 20, G: 12, S: 6, B: 2 };

  function normalize(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/œ/g, "oe")
      .replace(/æ/g, "ae")
      .replace(/ß/g, "ss");
  }
  function words(text) {
    return normalize(text).split(/[^a-z0-9]+/).filter(Boolean);
  }
  // Left out of the body words by the index (src/render/search.rs, STOP_WORDS): a query ignores
  // them, and one-letter words, unless it holds nothing else.
  var STOP = new Set(("au aux avec ce ces cet cette ci comme dans de des du elle elles en est et " +
    "etre il ils je la le les leur leurs lui ma mais me mes meme mon ne nos notre nous on ou par " +
    "pas plus pour qu que qui sa se ses son sont sur ta te tes ton tu un une vos votre vous the " +
    "of and to in is it for with as at by an be or this that are from").split(" "));
  function queryTerms(text) {
    var all = words(text);
    var useful = all.filter(function (w) { return w.length > 1 && !STOP.has(w); });
    return useful.length ? useful : all;
  }

  var base = ""; // folder of the index, with its final "/"
  var meta = null; // the entry file
  var files = new Map(); // path -> promise of its JSON, fetched once

  function load(path) {
    var file = files.get(path);
    if (!file) {
      file = fetch(base + path + "?v=" + meta.h).then(function (response) {
        if (!response.ok) throw new Error(path + ": " + response.status);
        return response.json();
      });
      // A failed fetch is tried again next time.
      file.catch(function () { files.delete(path); });
      files.set(path, file);
    }
    return file;
  }

  // Shards that may hold words starting with `term`: the one where `term` would be, and the
  // next ones while their first word starts with it.
  function shardsFor(term, exact) {
    var firsts = meta.shards, lo = 0, hi = firsts.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (firsts[mid] <= term) lo = mid + 1; else hi = mid;
    }
    var out = [Math.max(lo - 1, 0)];
    if (!exact) {
      for (var i = lo; i < firsts.length && firsts[i].startsWith(term); i++) out.push(i);
    }
    return out;
  }

  // First index of the sorted `words` whose word is >= `term`.
  function lowerBound(words, term) {
    var lo = 0, hi = words.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (words[mid] < term) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // Adds to `scores` the items of a posting list ("0T3B": items 0 and 3, title and body).
  var POSTING = /([0-9a-z]+)([TGSB])/g;
  function addPostings(postings, bonus, scores) {
    var item = 0, match;
    POSTING.lastIndex = 0;
    while ((match = POSTING.exec(postings))) {
      item += parseInt(match[1], 36);
      var s = WEIGHTS[match[2]] + bonus;
      if ((scores.get(item) || 0) < s) scores.set(item, s);
    }
  }

  // Promise of the scores of the items holding a word that starts with `term` (is `term`, for
  // one letter).
  function termScores(term) {
    var exact = term.length < 2;
    return Promise.all(shardsFor(term, exact).map(function (n) { return load("mots/" + n + ".json"); }))
      .then(function (shards) {
        var scores = new Map();
        shards.forEach(function (shard) {
          for (var i = lowerBound(shard.w, term); i < shard.w.length && shard.w[i].startsWith(term); i++) {
            if (exact && shard.w[i] !== term) break;
            addPostings(shard.p[i], shard.w[i] === term ? 1 : 0, scores);
          }
        });
        return scores;
      });
  }

  // Promise of the items of a filter value ("type", "article"), or null for no filter.
  function filterItems(group, value) {
    if (!value) return Promise.resolve(null);
    return load("filtres.json").then(function (filters) {
      var deltas = (filters[group] || {})[value] || [];
      var items = new Set(), item = 0;
      deltas.forEach(function (d) { item += d; items.add(item); });
      return items;
    });
  }

  // Promise of the ranked items (numbers) for a query and filters; null when there is nothing
  // to search.
  function search(query, kind, category, tag) {
    var terms = queryTerms(query);
    if (!terms.length && !kind && !category && !tag) return Promise.resolve(null);
    var parts = terms.map(termScores).concat([
      filterItems("type", kind), filterItems("categorie", category), filterItems("etiquette", tag),
    ]);
    return Promise.all(parts).then(function (found) {
      var sets = found.slice(terms.length).filter(Boolean);
      var total = null;
      found.slice(0, terms.length).forEach(function (scores) {
        if (total === null) {
          total = scores;
          return;
        }
        var next = new Map();
        total.forEach(function (s, item) {
          if (scores.has(item)) next.set(item, s + scores.get(item));
        });
        total = next;
      });
      var ids = [];
      if (total === null) {
        for (var i = 0; i < meta.n; i++) ids.push(i);
        total = new Map();
      } else {
        total.forEach(function (_, item) { ids.push(item); });
      }
      ids = ids.filter(function (item) {
        return sets.every(function (set) { return set.has(item); });
      });
      // Items are numbered newest first.
      ids.sort(function (a, b) { return (total.get(b) || 0) - (total.get(a) || 0) || a - b; });
      return ids;
    });
  }

  // Promise of the cards of `ids` ({t, u, k, d, s}), in order.
  function cards(ids) {
    return Promise.all(ids.map(function (item) {
      return load("fiches/" + Math.floor(item / meta.cards) + ".json").then(function (chunk) {
        var c = chunk[item % meta.cards];
        return { t: c[0], u: c[1], k: c[2], d: c[3], s: c[4] };
      });
    }));
  }

  function frenchDate(iso) {
    if (!iso) return "";
    var parts = iso.split("-");
    var months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
      "septembre", "octobre", "novembre", "décembre"];
    return Number(parts[2]) + " " + months[Number(parts[1]) - 1] + " " + parts[0];
  }

  function card(item) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = item.u;
    link.textContent = item.t;
    var title = document.createElement("h2");
    title.appendChild(link);
    var meta = document.createElement("p");
    meta.className = "meta";
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = LABELS[item.k] || item.k;
    meta.appendChild(kind);
    if (item.d) {
      var time = document.createElement("time");
      time.dateTime = item.d;
      time.textContent = frenchDate(item.d);
      meta.appendChild(time);
    }
    li.appendChild(title);
    li.appendChild(meta);
    if (item.s) {
      var summary = document.createElement("p");
      summary.textContent = item.s;
      li.appendChild(summary);
    }
    return li;
  }

  var results = []; // ranked items of the last search
  var shown = 0; // how many of them are on screen
  var current = 0; // number of the last search started: older answers are dropped

  function failed() {
    status.textContent = "Impossible de charger l'index de recherche. Réessayez plus tard.";
  }

  function summary() {
    var n = results.length;
    return n === 1 ? "1 résultat." :
      n + " résultats" + (n > shown ? " (les " + shown + " premiers affichés)." : ".");
  }

  // Shows the next PAGE results of the last search, once their cards are there.
  function showMore(ticket) {
    var next = results.slice(shown, shown + PAGE);
    return cards(next).then(function (found) {
      if (ticket !== current) return;
      var fragment = document.createDocumentFragment();
      found.forEach(function (item) { fragment.appendChild(card(item)); });
      list.appendChild(fragment);
      shown += found.length;
      if (more) more.hidden = shown >= results.length;
      status.textContent = summary();
    });
  }

  function update() {
    var params = new URLSearchParams();
    if (input.value) params.set("q", input.value);
    if (kindSelect.value) params.set("type", kindSelect.value);
    if (categorySelect.value) params.set("categorie", categorySelect.value);
    if (tagSelect.value) params.set("etiquette", tagSelect.value);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
    if (!meta) return;
    var ticket = ++current;
    return search(input.value, kindSelect.value, categorySelect.value, tagSelect.value)
      .then(function (ids) {
        if (ticket !== current) return;
        list.textContent = "";
        results = ids || [];
        shown = 0;
        if (more) more.hidden = true;
        if (ids === null) {
          status.textContent = "";
          return;
        }
        if (!ids.length) {
          status.textContent = "Aucun résultat. Essayez un autre mot ou retirez un filtre.";
          return;
        }
        return showMore(ticket);
      })
      .catch(function () {
        if (ticket === current) failed();
      });
  }

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  kindSelect.value = params.get("type") || "";
  categorySelect.value = params.get("categorie") || "";
  tagSelect.value = params.get("etiquette") || "";
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  if (more) {
    more.addEventListener("click", function () {
      var first = list.children.length;
      showMore(current).then(function () {
        // Focus on the first new result, for keyboard and screen reader users.
        var link = list.children[first] && list.children[first].querySelector("a");
        if (link) link.focus();
      }).catch(failed);
    });
  }

  // For measurements and tests (node, browser console): `start(entry, folder)` then
  // `search(query, kind, category, tag)` and `cards(ids)`, which give promises.
  window.classmatesSearch = {
    start: function (entry, folder) {
      meta = entry;
      base = folder;
      files = new Map();
    },
    search: search,
    cards: cards,
    normalize: normalize,
  };

  var index = form.dataset.index;
  status.textContent = "Chargement de l'index…";
  fetch(index)
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (entry) {
      window.classmatesSearch.start(entry, index.slice(0, index.lastIndexOf("/") + 1));
      status.textContent = "";
      update();
    })
    .catch(failed);
})();
