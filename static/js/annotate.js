/* The drawing editor (issue 16): annotations on a figure, or a question's target regions.
   Shapes live in normalised image coordinates (0..1, origin top left) and are posted as
   JSON in the form's "shapes" field: annotations as {type, points, color, text}, regions
   as {shape: "ellipse", cx, cy, rx, ry} or {shape: "polygon", points}. Mouse, touch and
   keyboard (arrows move a cursor, Enter places points, Escape cancels). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function clamp(v) { return Math.min(1, Math.max(0, v)); }
  function round(v) { return Math.round(v * 100000) / 100000; }

  function setUp(form) {
    if (form.dataset.editorReady) return;
    form.dataset.editorReady = "true";
    var mode = form.dataset.mode;
    var stage = form.querySelector("[data-editor-stage]");
    if (!stage) return;
    var svg = form.querySelector("[data-editor-svg]");
    var json = form.querySelector("[data-editor-json]");
    var list = form.querySelector("[data-editor-shapes]");
    var status = form.querySelector("[data-editor-status]");
    var toolbar = form.querySelector("[data-editor-toolbar]");
    var colour = form.querySelector("[data-editor-colour]");
    var labelInput = form.querySelector("[data-editor-label]");
    var W = parseFloat(stage.dataset.width) || 1000, H = parseFloat(stage.dataset.height) || 1000;
    toolbar.hidden = false;
    json.hidden = true;
    form.querySelector("label[for=editor-shapes-json]").hidden = true;
    var nojs = form.querySelector("[data-editor-nojs]");
    if (nojs) nojs.hidden = true;

    var shapes = load(json.value);
    var history = [];
    var tool = mode === "regions" ? "ellipse" : "arrow";
    var pending = [];   // points of the shape being drawn
    var cursor = null;  // keyboard cursor
    var selected = -1;
    var drag = null;

    function load(text) {
      var raw;
      try { raw = JSON.parse(text || "[]"); } catch (e) { raw = []; }
      if (!Array.isArray(raw)) raw = [];
      if (mode !== "regions") return raw;
      return raw.map(function (r) {
        if (r.shape === "ellipse") return { type: "ellipse", points: [[r.cx - r.rx, r.cy - r.ry], [r.cx + r.rx, r.cy + r.ry]] };
        return { type: "polygon", points: r.points };
      });
    }
    function dump() {
      if (mode !== "regions") {
        return shapes.map(function (s) {
          if (s.type !== "ellipse") return s;
          return s; // stored as corners while editing; converted below
        }).map(toStored);
      }
      return shapes.map(function (s) {
        if (s.type === "ellipse") {
          var a = s.points[0], b = s.points[1];
          return { shape: "ellipse", cx: round((a[0] + b[0]) / 2), cy: round((a[1] + b[1]) / 2),
                   rx: round(Math.abs(b[0] - a[0]) / 2), ry: round(Math.abs(b[1] - a[1]) / 2) };
        }
        return { shape: "polygon", points: s.points.map(function (p) { return [round(p[0]), round(p[1])]; }) };
      });
    }
    // Annotation ellipses are stored as [[cx, cy], [rx, ry]]; while editing, as two corners.
    function toStored(s) {
      var out = { type: s.type, points: s.points.map(function (p) { return [round(p[0]), round(p[1])]; }), color: s.color || "#ffd400" };
      if (s.type === "ellipse") {
        var a = s.points[0], b = s.points[1];
        out.points = [[round((a[0] + b[0]) / 2), round((a[1] + b[1]) / 2)], [round(Math.abs(b[0] - a[0]) / 2), round(Math.abs(b[1] - a[1]) / 2)]];
      }
      if (s.type === "text") out.text = s.text;
      return out;
    }
    if (mode !== "regions") {
      shapes = shapes.map(function (s) {
        if (s.type !== "ellipse") return s;
        var c = s.points[0], r = s.points[1];
        return { type: "ellipse", color: s.color, points: [[c[0] - r[0], c[1] - r[1]], [c[0] + r[0], c[1] + r[1]]] };
      });
    }

    function el(name, attrs, parent) {
      var node = document.createElementNS(SVG, name);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      (parent || svg).appendChild(node);
      return node;
    }
    function drawShape(s, index) {
      var c = s.color || (mode === "regions" ? "#34c759" : "#ffd400");
      var common = { stroke: c, "stroke-width": 3, fill: "none", "vector-effect": "non-scaling-stroke", "data-index": index };
      if (index === selected) common["class"] = "selected";
      var p = s.points.map(function (q) { return [q[0] * W, q[1] * H]; });
      if ((s.type === "arrow" || s.type === "line") && p.length === 2) {
        el("line", Object.assign({ x1: p[0][0], y1: p[0][1], x2: p[1][0], y2: p[1][1] }, common));
        if (s.type === "arrow") {
          var a = Math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0]), size = Math.max(W, H) / 40;
          var pts = [p[1], [p[1][0] - size * Math.cos(a - 0.45), p[1][1] - size * Math.sin(a - 0.45)],
                     [p[1][0] - size * Math.cos(a + 0.45), p[1][1] - size * Math.sin(a + 0.45)]];
          el("polygon", { points: pts.map(String).join(" "), fill: c, "data-index": index });
        }
      } else if (s.type === "ellipse" && p.length === 2) {
        el("ellipse", Object.assign({ cx: (p[0][0] + p[1][0]) / 2, cy: (p[0][1] + p[1][1]) / 2,
          rx: Math.abs(p[1][0] - p[0][0]) / 2, ry: Math.abs(p[1][1] - p[0][1]) / 2 }, common));
      } else if (s.type === "freehand" || s.type === "polygon") {
        el(s.type === "polygon" ? "polygon" : "polyline", Object.assign({ points: p.map(String).join(" ") }, common));
      } else if (s.type === "text" && p.length === 1) {
        var t = el("text", { x: p[0][0], y: p[0][1], fill: c, stroke: "#000", "stroke-width": 1, "paint-order": "stroke",
          "font-size": Math.max(W, H) / 28, "font-family": "sans-serif", "data-index": index });
        t.textContent = s.text;
      }
    }
    function render() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      shapes.forEach(drawShape);
      if (pending.length) drawShape({ type: tool, points: pending.concat(cursor ? [cursor] : []), color: "#0a84ff", text: "…" }, -2);
      if (cursor) {
        el("circle", { cx: cursor[0] * W, cy: cursor[1] * H, r: Math.max(W, H) / 120, stroke: "#0a84ff", fill: "none", "stroke-width": 2, "vector-effect": "non-scaling-stroke" });
      }
      json.value = JSON.stringify(dump());
      stage.dataset.shapes = String(shapes.length);
      list.textContent = "";
      shapes.forEach(function (s, i) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = (s.type === "text" ? "Label “" + s.text + "”" : s.type) + (i === selected ? " (selected)" : "");
        b.addEventListener("click", function () { selected = i; setTool("select"); render(); stage.focus(); });
        if (i === selected) li.setAttribute("aria-current", "true");
        li.appendChild(b);
        list.appendChild(li);
      });
    }
    function remember() { history.push(JSON.stringify(shapes)); if (history.length > 100) history.shift(); }
    function say(text) { status.textContent = text; }
    function setTool(name) {
      tool = name; pending = [];
      toolbar.querySelectorAll("[data-tool]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.tool === name)); });
      stage.dataset.tool = name;
      say("Tool: " + name + ".");
      render();
    }
    function needs(name) { return { text: 1, freehand: Infinity, polygon: Infinity }[name] || 2; }
    function add(shape) {
      remember();
      shapes.push(shape);
      selected = shapes.length - 1;
      say("Added " + shape.type + ". " + shapes.length + " shape(s).");
    }
    function finish() {
      if (tool === "polygon" && pending.length >= 3) add({ type: "polygon", points: pending });
      else if (tool === "freehand" && pending.length >= 2) add({ type: "freehand", points: pending, color: colour && colour.value });
      pending = [];
      render();
    }
    function placePoint(pt) {
      if (tool === "select") return;
      if (tool === "text") {
        var text = labelInput && labelInput.value.trim();
        if (!text) { say("Type the label text first."); if (labelInput) labelInput.focus(); return; }
        add({ type: "text", points: [pt], text: text, color: colour.value });
        render();
        return;
      }
      pending.push(pt);
      if (pending.length >= needs(tool)) {
        var shape = { type: tool, points: pending.slice(0, 2) };
        if (mode !== "regions") shape.color = colour.value;
        pending = [];
        add(shape);
      } else {
        say("Point " + pending.length + " placed" + (needs(tool) === Infinity ? "; Enter twice or “Finish shape” ends it." : "; place the next one."));
      }
      render();
    }
    function point(event) {
      var box = stage.getBoundingClientRect();
      return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
    }

    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      event.preventDefault();
      stage.focus();
      cursor = null;
      var pt = point(event);
      if (tool === "select") {
        var idx = event.target.getAttribute && event.target.getAttribute("data-index");
        selected = idx !== null && idx !== undefined ? parseInt(idx, 10) : -1;
        if (selected >= 0) { remember(); drag = { from: pt, orig: JSON.parse(JSON.stringify(shapes[selected].points)) }; }
        render();
      } else if (tool === "polygon" || tool === "text") {
        placePoint(pt);
      } else {
        pending = [pt];
        drag = { drawing: true };
      }
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var pt = point(event);
      if (drag.drawing) {
        if (tool === "freehand") pending.push(pt); else cursor = pt;
      } else if (selected >= 0) {
        var dx = pt[0] - drag.from[0], dy = pt[1] - drag.from[1];
        shapes[selected].points = drag.orig.map(function (p) { return [clamp(p[0] + dx), clamp(p[1] + dy)]; });
      }
      render();
    });
    stage.addEventListener("pointerup", function (event) {
      if (!drag) return;
      var pt = point(event);
      var wasDrawing = drag.drawing;
      drag = null;
      cursor = null;
      if (!wasDrawing) { render(); return; }
      if (tool === "freehand") { pending.push(pt); finish(); return; }
      var start = pending[0];
      if (Math.abs(pt[0] - start[0]) + Math.abs(pt[1] - start[1]) < 0.01) { pending = [start]; say("Point 1 placed; click or drag to the second point."); render(); return; }
      pending.push(pt);
      var shape = { type: tool, points: pending.slice(0, 2) };
      if (mode !== "regions") shape.color = colour.value;
      pending = [];
      add(shape);
      render();
    });
    stage.addEventListener("keydown", function (event) {
      var step = event.shiftKey ? 0.05 : 0.01;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[event.key] && tool === "select" && selected >= 0) {
        remember();
        shapes[selected].points = shapes[selected].points.map(function (p) { return [clamp(p[0] + moves[event.key][0]), clamp(p[1] + moves[event.key][1])]; });
        render();
      } else if (moves[event.key]) {
        cursor = cursor || [0.5, 0.5];
        cursor = [clamp(cursor[0] + moves[event.key][0]), clamp(cursor[1] + moves[event.key][1])];
        say("Cursor at " + Math.round(cursor[0] * 100) + " % across, " + Math.round(cursor[1] * 100) + " % down.");
        render();
      } else if (event.key === "Enter") {
        cursor = cursor || [0.5, 0.5];
        var last = pending[pending.length - 1];
        if (needs(tool) === Infinity && last && last[0] === cursor[0] && last[1] === cursor[1]) finish();
        else placePoint(cursor.slice());
      } else if (event.key === "Escape") {
        pending = []; cursor = null; render();
      } else if ((event.key === "Delete" || event.key === "Backspace") && selected >= 0) {
        deleteSelected();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
    function deleteSelected() {
      if (selected < 0) { say("Select a shape first."); return; }
      remember();
      shapes.splice(selected, 1);
      selected = -1;
      say("Deleted. " + shapes.length + " shape(s).");
      render();
    }
    toolbar.querySelectorAll("[data-tool]").forEach(function (b) {
      b.addEventListener("click", function () { setTool(b.dataset.tool); });
    });
    toolbar.querySelector("[data-editor-finish]").addEventListener("click", finish);
    toolbar.querySelector("[data-editor-delete]").addEventListener("click", deleteSelected);
    toolbar.querySelector("[data-editor-undo]").addEventListener("click", function () {
      if (!history.length) { say("Nothing to undo."); return; }
      shapes = JSON.parse(history.pop());
      selected = -1;
      say("Undone. " + shapes.length + " shape(s).");
      render();
    });
    // With "Select and move": the colour list recolours the selected shape, the label field
    // rewrites a selected label (with a drawing tool they set the next shape instead).
    function editSelected(change) {
      if (tool !== "select" || selected < 0 || !shapes[selected]) return;
      remember();
      change(shapes[selected]);
      render();
    }
    if (colour) colour.addEventListener("change", function () {
      editSelected(function (s) { s.color = colour.value; });
    });
    if (labelInput) labelInput.addEventListener("change", function () {
      var text = labelInput.value.trim();
      if (text) editSelected(function (s) { if (s.type === "text") s.text = text; });
    });
    form.addEventListener("submit", function () { finish(); json.value = JSON.stringify(dump()); });
    form.addEventListener("htmx:configRequest", function () { json.value = JSON.stringify(dump()); });
    stage.dataset.tool = tool;
    render();
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-drawing-editor]").forEach(setUp);
    if (scope && scope.matches && scope.matches("[data-drawing-editor]")) setUp(scope);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
