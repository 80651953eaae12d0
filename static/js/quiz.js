/* Quiz keyboard, autosave and timer. Progressive enhancement: every action also works as
   a plain form post or link without this file.
   Keys belong to what has the focus: 1-9 or A-E pick a choice and Enter submits only when
   the focus is in the question area ([data-question-area]); the viewer ([data-viewer])
   handles its own keys, and a key pressed there never reaches an answer. N and P move to
   the next or previous case when the focus is not in a text field or the viewer. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(radio|checkbox)$/.test(target.type)) ||
      !!(target && target.isContentEditable);
  }

  function inside(target, selector) {
    return !!(target && target.closest && target.closest(selector));
  }

  function choiceInputs(area) {
    // The question holding the focus, else the first one in the area.
    var active = document.activeElement;
    var fieldset = active && active.closest ? active.closest("fieldset") : null;
    if (!fieldset || !area.contains(fieldset)) fieldset = area.querySelector("fieldset");
    return fieldset ? fieldset.querySelectorAll("input[type=radio], input[type=checkbox]") : [];
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (inside(target, "[data-viewer]") || typing(target)) return;
    var key = event.key;
    var area = target && target.closest ? target.closest("[data-question-area]") : null;
    if (/^[1-9]$/.test(key) || /^[a-eA-E]$/.test(key)) {
      if (!area) return;  // answer keys act only where the questions are
      var index = /^[1-9]$/.test(key) ? Number(key) - 1 : key.toUpperCase().charCodeAt(0) - 65;
      var inputs = choiceInputs(area);
      if (index < inputs.length) {
        var input = inputs[index];
        input.checked = input.type === "checkbox" ? !input.checked : true;
        input.focus();
        // The autosave and anything else listening learn of the change as from a click.
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
        event.preventDefault();
      }
    } else if (key === "Enter" && area) {
      var form = area.closest("form");
      if (form) { event.preventDefault(); form.requestSubmit(); }
    } else if (key === "n" || key === "N" || key === "p" || key === "P") {
      var link = document.querySelector(/^[nN]$/.test(key) ? "[data-next-case]" : "[data-prev-case]");
      if (link) { event.preventDefault(); link.click(); }
    }
  });

  // After the answer is swapped in, put the learner at the feedback.
  function focusFeedback(root) {
    var work = root && root.id === "case-work" ? root : null;
    if (work && work.hasAttribute("data-feedback")) {
      var first = work.querySelector(".feedback") || work;
      if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
      first.focus();
    } else if (work) {
      var field = work.querySelector("[data-question-area] input:not([type=hidden])");
      if (field) field.focus();
    }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "case-work") {
      focusFeedback(document.getElementById("case-work"));
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // A plain post redirects to #case-work: same focus rule as the htmx path.
    if (location.hash === "#case-work") focusFeedback(document.getElementById("case-work"));
  });

  // ------------------------------------------------------------------ exam autosave
  // htmx posts the form after a pause in typing (hx-trigger on the form). Here: the
  // "saving" and "offline" states, retries with back-off, and a last save when the page
  // goes away or the deadline comes.
  var autosave = null;
  var dirty = false;
  var retryDelay = 2000;
  var retryTimer = null;

  function status(text, state) {
    var el = document.getElementById("save-status");
    if (!el) return;
    el.textContent = text;
    el.className = "save-status" + (state ? " save-" + state : "");
  }

  function saveNow() {
    if (autosave && dirty && window.htmx) window.htmx.trigger(autosave, "retrysave");
  }

  function retryLater(text) {
    status(text + " Retrying…", "failed");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(saveNow, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }

  function initAutosave() {
    autosave = document.querySelector("form[data-autosave]");
    if (!autosave) return;
    autosave.addEventListener("input", function () { dirty = true; status("Unsaved changes…", "pending"); });
    autosave.addEventListener("htmx:beforeRequest", function () { status("Saving…", "pending"); });
    autosave.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail.xhr;
      if (event.detail.successful) {
        dirty = false;
        retryDelay = 2000;
      } else if (xhr && xhr.status === 422) {
        dirty = false;  // refused (deadline, finished): the fragment says why; no retry
      }
    });
    autosave.addEventListener("htmx:sendError", function () {
      retryLater(navigator.onLine === false ? "Offline: not saved yet." : "Not saved: no answer from the server.");
    });
    autosave.addEventListener("htmx:responseError", function (event) {
      var xhr = event.detail.xhr;
      if (xhr && xhr.status >= 500) retryLater("Not saved: the server had a problem.");
      else if (xhr && xhr.status === 403) status("Not saved: your session has ended. Reload the page and log in.", "failed");
    });
    window.addEventListener("online", saveNow);
    // Leaving the page (a navigator link, closing the tab): send what is unsaved.
    window.addEventListener("pagehide", function () {
      if (!dirty || !navigator.sendBeacon) return;
      var url = autosave.getAttribute("hx-post");
      navigator.sendBeacon(url, new FormData(autosave));
      dirty = false;
    });
    // The plain buttons post the form themselves: nothing left to autosave.
    autosave.addEventListener("submit", function () { dirty = false; });
  }

  // ------------------------------------------------------------------ timer
  // The countdown only displays the server's remaining time; the server enforces it.
  function startTimer(el) {
    var left = Number(el.getAttribute("data-seconds-left"));
    var text = el.querySelector("[data-timer-text]");
    var end = Date.now() + left * 1000;
    var flushed = false;
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      text.textContent = Math.floor(s / 60) + ":" + pad(s % 60);
      if (s <= 60) el.classList.add("timer-low");
      if (s <= 3 && !flushed) { flushed = true; saveNow(); }  // beat the deadline
      if (s === 0) {
        clearInterval(timer);
        text.textContent = "time is up";
        dirty = false;
        window.setTimeout(function () {
          window.location.assign(el.getAttribute("data-expired-url"));
        }, 1500);
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }
  function init() {
    initAutosave();
    var timers = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < timers.length; i++) startTimer(timers[i]);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
