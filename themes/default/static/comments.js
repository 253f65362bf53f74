// giscus comments, loaded only when the reader asks for them (no request to GitHub before).
// Linked by article pages only when site.yaml has `comments`.
(function () {
  "use strict";

  function giscusTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    return chosen === "dark" ? "dark" : chosen === "light" ? "light" : "preferred_color_scheme";
  }

  function comments() {
    var section = document.querySelector(".comments[data-giscus-repo]");
    if (!section) return;
    var button = section.querySelector("[data-comments-load]");
    var frame = section.querySelector("[data-comments-frame]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var d = section.dataset;
      var script = document.createElement("script");
      script.src = "https://giscus.app/client.js";
      script.async = true;
      script.crossOrigin = "anonymous";
      var attrs = {
        "data-repo": d.giscusRepo,
        "data-repo-id": d.giscusRepoId,
        "data-category": d.giscusCategory,
        "data-category-id": d.giscusCategoryId,
        "data-mapping": d.giscusMapping,
        "data-strict": "1",
        "data-reactions-enabled": d.giscusReactions,
        "data-emit-metadata": "0",
        "data-input-position": d.giscusInputPosition,
        "data-theme": giscusTheme(),
        "data-lang": "fr",
        "data-loading": "lazy",
      };
      Object.keys(attrs).forEach(function (name) {
        script.setAttribute(name, attrs[name]);
      });
      frame.appendChild(script);
      button.remove();
      frame.setAttribute("tabindex", "-1");
      frame.focus();
    });
    document.addEventListener("classmates:theme", function (event) {
      var iframe = frame.querySelector("iframe.giscus-frame");
      if (iframe && iframe.contentWindow) {
        iframe.contentWindow.postMessage(
          { giscus: { setConfig: { theme: event.detail } } },
          "https://giscus.app"
        );
      }
    });
  }

  comments();
})();
