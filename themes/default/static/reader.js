// Reading aid, as progressive enhancement: a "Copier" button on code blocks, and only the blocks
// that scroll sideways in the tab order. (Comments are in
// comments.js, loaded only by the articles of a site that has them.)
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
      var lines = (pre.textContent || "").replace(/\n$/, "").split("\n").length;
      if (lines === 1) wrapper.setAttribute("data-one-line", "");
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

  // The « Copier » button never covers code: a one-line block that fits keeps its end clear
  // of the button, on its right; any other block has its first line below it. A block that
  // fits its width is no extra stop for keyboard users; one that scrolls is (the HTML makes
  // every block focusable, for readers without JavaScript).
  function scrollableBlocks() {
    var blocks = document.querySelectorAll("pre.code");
    if (!blocks.length) return;
    function scrolls(pre) {
      return pre.scrollWidth > pre.clientWidth;
    }
    function update() {
      Array.prototype.forEach.call(blocks, function (pre) {
        var wrapper = pre.parentNode;
        if (wrapper.hasAttribute("data-one-line")) {
          wrapper.classList.add("one-line");
          if (scrolls(pre)) wrapper.classList.remove("one-line");
        }
        if (scrolls(pre)) pre.setAttribute("tabindex", "0");
        else if (document.activeElement !== pre) pre.removeAttribute("tabindex");
      });
    }
    update();
    var pending = 0;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(update, 150);
    });
  }

  copyButtons();
  scrollableBlocks();
})();
