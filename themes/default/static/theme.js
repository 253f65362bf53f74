// Light or dark theme: follows the system setting unless the reader chose one with the header
// button (remembered in localStorage). Loaded in <head> without `defer` so that the choice
// applies before the first paint (no flash of the wrong theme).
(function () {
  "use strict";
  var KEY = "classmates-theme";
  var root = document.documentElement;
  function stored() {
    try {
      var value = localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null;
    }
  }
  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function current() {
    return root.getAttribute("data-theme") || (systemDark() ? "dark" : "light");
  }
  var chosen = stored();
  if (chosen) root.setAttribute("data-theme", chosen);

  function sync(button) {
    var dark = current() === "dark";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.textContent = "Thème sombre";
    button.title = dark ? "Passer au thème clair" : "Passer au thème sombre";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    button.hidden = false;
    sync(button);
    button.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try {
        localStorage.setItem(KEY, next);
      } catch (e) {
        // Private browsing: the choice lasts for this page only.
      }
      sync(button);
      document.dispatchEvent(new CustomEvent("classmates:theme", { detail: next }));
    });
    if (window.matchMedia) {
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
        sync(button);
      });
    }
  });
})();
