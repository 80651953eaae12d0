/* Quiz keyboard and timer. Progressive enhancement: every action also works as a plain
   form post or link without this file. Keys: 1-9 or A-E pick a choice, Enter submits,
   N goes to the next case; after the reveal the focus moves to the feedback. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(radio|checkbox)$/.test(target.type));
  }

  function currentForm() {
    return document.querySelector("form[data-answer-form]");
  }

  function choiceInputs(form) {
    // The question holding the focus, else the first one in the form.
    var active = document.activeElement;
    var fieldset = active && active.closest ? active.closest("fieldset") : null;
    if (!fieldset || !form.contains(fieldset)) fieldset = form.querySelector("fieldset");
    return fieldset ? fieldset.querySelectorAll("input[type=radio], input[type=checkbox]") : [];
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    var form = currentForm();
    if (/^[1-9]$/.test(key) || /^[a-eA-E]$/.test(key)) {
      if (!form) return;
      var index = /^[1-9]$/.test(key) ? Number(key) - 1 : key.toUpperCase().charCodeAt(0) - 65;
      var inputs = choiceInputs(form);
      if (index < inputs.length) {
        var input = inputs[index];
        input.checked = input.type === "checkbox" ? !input.checked : true;
        input.focus();
        event.preventDefault();
      }
    } else if (key === "Enter" && form) {
      event.preventDefault();
      form.requestSubmit();
    } else if (key === "n" || key === "N") {
      var next = document.querySelector("[data-next-case]");
      if (next) { event.preventDefault(); next.click(); }
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
      var field = work.querySelector("input:not([type=hidden])");
      if (field) field.focus();
    }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    focusFeedback(document.getElementById("case-work"));
  });
  document.addEventListener("DOMContentLoaded", function () {
    // A plain post redirects to #case-work: same focus rule as the htmx path.
    if (location.hash === "#case-work") focusFeedback(document.getElementById("case-work"));
  });

  // The countdown only displays the server's remaining time; the server enforces it.
  function startTimer(el) {
    var left = Number(el.getAttribute("data-seconds-left"));
    var text = el.querySelector("[data-timer-text]");
    var end = Date.now() + left * 1000;
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      text.textContent = Math.floor(s / 60) + ":" + pad(s % 60);
      if (s <= 60) el.classList.add("timer-low");
      if (s === 0) {
        clearInterval(timer);
        text.textContent = "time is up";
        window.location.assign(el.getAttribute("data-expired-url"));
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }
  function initTimers() {
    var timers = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < timers.length; i++) startTimer(timers[i]);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initTimers);
  } else {
    initTimers();
  }
})();
