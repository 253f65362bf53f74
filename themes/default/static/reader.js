// Reading aids, as progressive enhancement: a "Copier" button on code blocks, and giscus
// comments loaded only when the reader asks for them (no request to GitHub before).
(function () {
  "use strict";

  function copyButtons() {
    if (!navigator.clipboard) return;
    var blocks = document.querySelectorAll(".prose pre.code");
    if (!blocks.length) return;
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
    Array.prototype.forEach.call(blocks, function (pre) {
      var wrapper = document.createElement("div");
      wrapper.className = "code-block";
      pre.parentNode.insertBefore(wrapper, pre);
      wrapper.appendChild(pre);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-code";
      button.textContent = "Copier";
      button.setAttribute("aria-label", "Copier le code");
      wrapper.appendChild(button);
      button.addEventListener("click", function () {
        var code = pre.querySelector("code") || pre;
        navigator.clipboard.writeText(code.innerText).then(
          function () {
            button.textContent = "Copié !";
            live.textContent = "Code copié dans le presse-papiers.";
            setTimeout(function () {
              button.textContent = "Copier";
            }, 2000);
          },
          function () {
            live.textContent = "Impossible de copier : sélectionnez le code à la main.";
          }
        );
      });
    });
  }

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

  copyButtons();
  comments();
})();
