// Live conference pages: conditional polling and the presenter's clicker keys.
(function () {
  "use strict";

  // A poll answered 304 means "you already show this": keep the element as it is.
  // A 409 (question closed meanwhile) carries the page's new state: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 304) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
    } else if (status === 409 && event.detail.target && event.detail.target.closest("[data-live-stage]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Clickers send page down / page up (or arrows); space is the usual "next".
  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-live-present]")) return;
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || event.target.isContentEditable) return;
    if (event.target.closest && event.target.closest("[data-viewer]")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var next = event.key === " " || event.key === "ArrowRight" || event.key === "PageDown";
    var back = event.key === "ArrowLeft" || event.key === "PageUp";
    if (!next && !back) return;
    var button = document.querySelector(next ? "[data-live-next]" : "[data-live-previous]");
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();  // a click, so htmx posts the button's action with the form
  });
})();
