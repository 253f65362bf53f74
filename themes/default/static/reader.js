// Reading aid, as progressive enhancement: a "Copier" button on code blocks. (Comments are in
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

  copyButtons();
})();
