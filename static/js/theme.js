// Apply the saved theme before the first paint, then wire the toggle button.
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = window.localStorage.getItem("tf-theme"); } catch (e) { saved = null; }
  if (saved === "light" || saved === "dark") { root.setAttribute("data-theme", saved); }

  function label(button) {
    var light = root.getAttribute("data-theme") === "light";
    button.textContent = light ? "Dark theme" : "Light theme";
    button.setAttribute("aria-pressed", light ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) { return; }
    label(button);
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "light" ? "dark" : "light";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("tf-theme", next); } catch (e) { /* private mode */ }
      label(button);
    });
  });
})();
