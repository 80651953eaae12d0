// Quiz editor (issue 18): drag a case to a new place. The up/down buttons do the same
// without JavaScript; this only posts the new position and lets htmx swap the list.
(function () {
  "use strict";
  let dragged = null;

  document.addEventListener("dragstart", function (event) {
    const item = event.target.closest && event.target.closest("[data-move-url]");
    if (!item) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.index);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });

  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest && event.target.closest("[data-move-url]")) {
      event.preventDefault();
    }
  });

  document.addEventListener("drop", function (event) {
    const target = event.target.closest && event.target.closest("[data-move-url]");
    if (!dragged || !target || target === dragged) return;
    event.preventDefault();
    window.htmx.ajax("POST", dragged.dataset.moveUrl, {
      target: "#quiz-items",
      swap: "outerHTML",
      values: { position: target.dataset.index },
    });
  });
})();
