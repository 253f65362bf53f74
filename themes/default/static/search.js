// Search of /recherche/: loads the static index built by `classmates` (/recherche/index.json)
// once, then answers as the reader types, with no server. Words match by prefix, accents and
// case ignored; results are ranked title > tags > summary > body, then newest first.
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
  var MAX_RESULTS = 50;
  var LABELS = { article: "Article", series: "Série", resource: "Ressource", event: "Événement" };
  // Field weights; an exact word counts one more than a prefix.
  var TITLE = 20, TAG = 12, SUMMARY = 6, BODY = 2;

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

  var items = null; // the index's items
  var vocabulary = []; // sorted distinct words
  var postings = new Map(); // word -> Map(item index -> weight)

  function add(word, item, weight) {
    var entry = postings.get(word);
    if (!entry) {
      entry = new Map();
      postings.set(word, entry);
    }
    if ((entry.get(item) || 0) < weight) entry.set(item, weight);
  }

  function prepare(index) {
    items = index.items;
    items.forEach(function (item, i) {
      words(item.t).forEach(function (w) { add(w, i, TITLE); });
      (item.g || []).forEach(function (tag) { words(tag).forEach(function (w) { add(w, i, TAG); }); });
      (item.c || []).forEach(function (cat) { words(cat).forEach(function (w) { add(w, i, TAG); }); });
      words(item.s || "").forEach(function (w) { add(w, i, SUMMARY); });
      (item.w ? item.w.split(" ") : []).forEach(function (w) { add(w, i, BODY); });
    });
    vocabulary = Array.from(postings.keys()).sort();
  }

  // First index of `vocabulary` whose word is >= `term`.
  function lowerBound(term) {
    var lo = 0, hi = vocabulary.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (vocabulary[mid] < term) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // Scores of the items matching every term (by prefix); null when there is no term.
  function score(terms) {
    var total = null;
    terms.forEach(function (term) {
      var scores = new Map();
      for (var i = lowerBound(term); i < vocabulary.length && vocabulary[i].startsWith(term); i++) {
        var word = vocabulary[i];
        var bonus = word === term ? 1 : 0;
        postings.get(word).forEach(function (weight, item) {
          var s = weight + bonus;
          if ((scores.get(item) || 0) < s) scores.set(item, s);
        });
      }
      if (total === null) {
        total = scores;
      } else {
        var next = new Map();
        total.forEach(function (s, item) {
          if (scores.has(item)) next.set(item, s + scores.get(item));
        });
        total = next;
      }
    });
    return total;
  }

  function search(query, kind, category, tag) {
    var terms = queryTerms(query);
    var scores = score(terms);
    var ids = [];
    if (scores === null) {
      if (!kind && !category && !tag) return null;
      for (var i = 0; i < items.length; i++) ids.push(i);
      scores = new Map();
    } else {
      scores.forEach(function (_, item) { ids.push(item); });
    }
    ids = ids.filter(function (i) {
      var item = items[i];
      return (!kind || item.k === kind) &&
        (!category || (item.c || []).indexOf(category) >= 0) &&
        (!tag || (item.g || []).indexOf(tag) >= 0);
    });
    ids.sort(function (a, b) {
      return (scores.get(b) || 0) - (scores.get(a) || 0) ||
        (items[b].d || "").localeCompare(items[a].d || "") ||
        a - b;
    });
    return ids;
  }

  function frenchDate(iso) {
    if (!iso) return "";
    var parts = iso.split("-");
    var months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
      "septembre", "octobre", "novembre", "décembre"];
    return Number(parts[2]) + " " + months[Number(parts[1]) - 1] + " " + parts[0];
  }

  function render(ids) {
    list.textContent = "";
    if (ids === null) {
      status.textContent = "";
      return;
    }
    if (!ids.length) {
      status.textContent = "Aucun résultat. Essayez un autre mot ou retirez un filtre.";
      return;
    }
    status.textContent = ids.length === 1 ? "1 résultat." :
      ids.length + " résultats" + (ids.length > MAX_RESULTS ? " (les " + MAX_RESULTS + " premiers affichés)." : ".");
    var fragment = document.createDocumentFragment();
    ids.slice(0, MAX_RESULTS).forEach(function (i) {
      var item = items[i];
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
      fragment.appendChild(li);
    });
    list.appendChild(fragment);
  }

  function update() {
    if (!items) return;
    render(search(input.value, kindSelect.value, categorySelect.value, tagSelect.value));
    var params = new URLSearchParams();
    if (input.value) params.set("q", input.value);
    if (kindSelect.value) params.set("type", kindSelect.value);
    if (categorySelect.value) params.set("categorie", categorySelect.value);
    if (tagSelect.value) params.set("etiquette", tagSelect.value);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  kindSelect.value = params.get("type") || "";
  categorySelect.value = params.get("categorie") || "";
  tagSelect.value = params.get("etiquette") || "";
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
  form.addEventListener("input", update);
  form.addEventListener("change", update);

  status.textContent = "Chargement de l'index…";
  fetch(form.dataset.index)
    .then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.json();
    })
    .then(function (index) {
      prepare(index);
      status.textContent = "";
      update();
    })
    .catch(function () {
      status.textContent = "Impossible de charger l'index de recherche. Réessayez plus tard.";
    });

  // For measurements and tests (node, browser console).
  window.classmatesSearch = { prepare: prepare, search: search, normalize: normalize };
})();
