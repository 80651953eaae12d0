/* "Click on the finding" (issue 16): place markers on a figure and keep them in the
   question's answer input as normalised "x,y;x,y" (0..1 of the image, origin top left).
   Mouse, touch (pointer events) and keyboard: arrows move a crosshair (Shift: 5 %),
   Enter or Space places a marker, Backspace/Delete removes the last one. Keys pressed on
   the image never reach the page (the quiz's answer keys). */
(function () {
  "use strict";
  if (window.TFRegion) return;
  var SVG = "http://www.w3.org/2000/svg";
  var MAX = 20;

  function parse(text) {
    var out = [];
    (text || "").split(";").forEach(function (pair) {
      var p = pair.split(",");
      if (p.length !== 2) return;
      var x = parseFloat(p[0]), y = parseFloat(p[1]);
      if (isFinite(x) && isFinite(y) && x >= 0 && x <= 1 && y >= 0 && y <= 1) out.push([x, y]);
    });
    return out;
  }

  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  function line(svg, x1, y1, x2, y2, cls) {
    var el = document.createElementNS(SVG, "line");
    el.setAttribute("x1", x1 * 1000); el.setAttribute("y1", y1 * 1000);
    el.setAttribute("x2", x2 * 1000); el.setAttribute("y2", y2 * 1000);
    el.setAttribute("class", cls);
    svg.appendChild(el);
  }

  function setUp(root) {
    if (root.dataset.regionReady) return;
    root.dataset.regionReady = "true";
    var tool = root.querySelector("[data-region-tool]");
    var input = root.querySelector("[data-region-input]");
    if (!tool || !input) return;
    var stage = tool.querySelector("[data-region-stage]");
    var svg = tool.querySelector("[data-region-svg]");
    var status = tool.querySelector("[data-region-status]");
    var nojs = root.querySelector("[data-region-nojs]");
    var markers = parse(input.value);
    var cursor = null;
    tool.hidden = false;
    if (nojs) nojs.hidden = true;

    function draw(silent) {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var d = 0.015;
      markers.forEach(function (m) {
        line(svg, m[0] - d, m[1] - d, m[0] + d, m[1] + d, "marker");
        line(svg, m[0] + d, m[1] - d, m[0] - d, m[1] + d, "marker");
      });
      if (cursor) {
        line(svg, cursor[0] - 0.03, cursor[1], cursor[0] + 0.03, cursor[1], "crosshair");
        line(svg, cursor[0], cursor[1] - 0.03, cursor[0], cursor[1] + 0.03, "crosshair");
      }
      input.value = markers.map(function (m) { return m[0].toFixed(4) + "," + m[1].toFixed(4); }).join(";");
      root.dataset.markers = String(markers.length);
      var words = markers.length === 0 ? "No marker placed." :
        markers.length + (markers.length === 1 ? " marker" : " markers") + " placed, the last at " +
        Math.round(markers[markers.length - 1][0] * 100) + " % across, " +
        Math.round(markers[markers.length - 1][1] * 100) + " % down.";
      if (cursor) words += " Crosshair at " + Math.round(cursor[0] * 100) + " % across, " + Math.round(cursor[1] * 100) + " % down.";
      status.textContent = words;
      if (!silent) input.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function place(x, y) {
      if (markers.length >= MAX) { status.textContent = "At most " + MAX + " markers."; return; }
      markers.push([clamp(x), clamp(y)]);
      draw();
    }

    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button !== 0) return;
      var box = stage.getBoundingClientRect();
      event.preventDefault();
      stage.focus();
      cursor = null;
      place((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
    });
    stage.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 0.05 : 0.01;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[event.key]) {
        cursor = cursor || [0.5, 0.5];
        cursor = [clamp(cursor[0] + moves[event.key][0]), clamp(cursor[1] + moves[event.key][1])];
        draw();
      } else if (event.key === "Enter" || event.key === " ") {
        cursor = cursor || [0.5, 0.5];
        place(cursor[0], cursor[1]);
      } else if (event.key === "Backspace" || event.key === "Delete") {
        markers.pop();
        draw();
      } else {
        return; // Tab and the rest keep their usual meaning
      }
      event.preventDefault();
      event.stopPropagation();
    });
    tool.querySelector("[data-region-undo]").addEventListener("click", function () { markers.pop(); draw(); });
    tool.querySelector("[data-region-clear]").addEventListener("click", function () { markers = []; draw(); });
    draw(true);
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-region-question]").forEach(setUp);
  }
  window.TFRegion = { init: init };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
