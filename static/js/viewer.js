/*
 * Teaching-file image viewer.
 *
 * Progressive enhancement of templates/teachingfile/includes/viewer.html: every
 * [data-viewer] <figure> gets zoom, pan, window/level (brightness/contrast),
 * presets, invert, reset, full screen, stack scrolling and, after the reveal,
 * the annotated/clean toggle. Plain JS, no dependencies, no inline styles or
 * eval, so it runs under "script-src 'self'; style-src 'self'" (CSSOM writes
 * such as element.style.transform are allowed by CSP).
 *
 * State is mirrored on the root for tests and styling: data-zoom, data-frame
 * (0-based), data-inverted, data-annotated, data-tool, data-fullscreen.
 * Keyboard map: docs/viewer.md.
 */
(function () {
  "use strict";

  if (window.TFViewer) return; // the include may be rendered more than once

  var MIN_ZOOM = 0.5;
  var MAX_ZOOM = 16;
  var ZOOM_STEP = 1.25;
  var PAN_STEP = 0.05; // fraction of the stage per Shift+arrow
  var ADJUST_STEP = 10; // brightness/contrast percentage points per key press
  var WHEEL_FRAME_PX = 50; // wheel distance that moves one slice

  var SHORTCUTS = [
    ["+ / -", "Zoom in / out"],
    ["Ctrl + wheel, pinch", "Zoom around the pointer (plain wheel on a single image)"],
    ["Drag, Shift + arrows", "Pan"],
    ["W", "Toggle window/level drag (horizontal: contrast, vertical: brightness)"],
    ["P", "Pan tool"],
    ["[ / ]", "Contrast down / up"],
    [", / .", "Brightness down / up"],
    ["1 - 9", "Window presets (1 = default), when the image has presets"],
    ["I", "Invert"],
    ["A", "Annotated / clean image (after the reveal)"],
    ["R or 0", "Reset the view"],
    ["F", "Full screen (Esc leaves)"],
    ["\u2191 / \u2193, Page Up / Down, wheel, swipe", "Previous / next image in a stack"],
    ["Home / End", "First / last image in a stack"],
    ["?", "Show or hide this help"],
  ];

  var uid = 0;

  function clamp(v, lo, hi) {
    return Math.min(hi, Math.max(lo, v));
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
      });
    }
    if (text) node.textContent = text;
    return node;
  }

  function button(label, opts) {
    var b = el("button", {
      type: "button",
      class: "viewer__btn" + (opts.cls ? " " + opts.cls : ""),
      "aria-label": opts.aria || null,
      "aria-keyshortcuts": opts.keys || null,
      title: opts.title || null,
    }, label);
    if (opts.pressed !== undefined) b.setAttribute("aria-pressed", String(opts.pressed));
    b.addEventListener("click", opts.onClick);
    return b;
  }

  function readFrames(root) {
    return Array.prototype.map.call(root.querySelectorAll(".viewer__frame"), function (li) {
      var presets = Array.prototype.map.call(li.querySelectorAll("a.viewer__preset"), function (a) {
        return { name: a.getAttribute("data-preset") || a.textContent.trim(), src: a.getAttribute("href") };
      });
      return {
        li: li,
        src: li.getAttribute("data-src"),
        fullSrc: li.getAttribute("data-full-src") || "",
        annotatedSrc: li.getAttribute("data-annotated-src") || "",
        width: parseInt(li.getAttribute("data-width"), 10) || 0,
        height: parseInt(li.getAttribute("data-height"), 10) || 0,
        alt: li.getAttribute("data-alt") || "",
        label: li.getAttribute("data-label") || "",
        presets: presets,
        fullReady: false,
      };
    });
  }

  function Viewer(root) {
    this.root = root;
    this.stage = root.querySelector(".viewer__stage");
    this.img = root.querySelector(".viewer__img");
    this.frames = readFrames(root);
    if (!this.stage || !this.img || !this.frames.length) return;

    this.id = root.id || "viewer-" + ++uid;
    this.isStack = this.frames.length > 1;
    this.presetNames = [];
    var seen = {};
    this.frames.forEach(function (f) {
      f.presets.forEach(function (p) {
        if (!seen[p.name]) {
          seen[p.name] = true;
          this.presetNames.push(p.name);
        }
      }, this);
    }, this);
    this.hasAnnotations = this.frames.some(function (f) { return f.annotatedSrc; });

    this.frame = 0;
    this.annotated = false;
    this.inverted = false;
    this.tool = "pan";
    this.fallbackFullscreen = false;
    this.prefetched = {};
    this.pointers = new Map();
    this.gesture = null;
    this.wheelAccum = 0;
    this.resetView();

    this.build();
    this.bind();
    this.showFrame(0, true);
    root.classList.add("viewer--ready");
  }

  Viewer.prototype.resetView = function () {
    this.zoom = 1;
    this.x = 0; // translation, as a fraction of the stage size
    this.y = 0;
    this.brightness = 100;
    this.contrast = 100;
    this.preset = null;
  };

  /* ---------- building the controls ---------- */

  Viewer.prototype.build = function () {
    var self = this;
    var root = this.root;
    root.setAttribute("tabindex", "0");
    root.setAttribute("aria-roledescription", "image viewer");

    var hintId = this.id + "-hint";
    var hint = el("p", { id: hintId, class: "visually-hidden" },
      "Keyboard: press question mark for the list of shortcuts.");
    root.setAttribute("aria-describedby", hintId);

    this.live = el("div", { class: "visually-hidden", role: "status", "aria-live": "polite", "aria-atomic": "true" });

    var toolbar = el("div", { class: "viewer__toolbar", role: "toolbar", "aria-label": "Image tools" });
    this.toolbar = toolbar;

    var zoomGroup = el("div", { class: "viewer__group", role: "group", "aria-label": "Zoom" });
    zoomGroup.appendChild(button("\u2212", { aria: "Zoom out", title: "Zoom out (-)", keys: "-", onClick: function () { self.zoomBy(1 / ZOOM_STEP); } }));
    this.zoomOut = el("output", { class: "viewer__zoom", "aria-label": "Zoom level" }, "100%");
    zoomGroup.appendChild(this.zoomOut);
    zoomGroup.appendChild(button("+", { aria: "Zoom in", title: "Zoom in (+)", keys: "Plus", onClick: function () { self.zoomBy(ZOOM_STEP); } }));
    toolbar.appendChild(zoomGroup);

    var toolGroup = el("div", { class: "viewer__group", role: "group", "aria-label": "Drag tool" });
    this.panBtn = button("Pan", { aria: "Pan tool: drag moves the image", title: "Pan tool (P)", keys: "P", pressed: true, onClick: function () { self.setTool("pan"); } });
    this.wlBtn = button("W/L", { aria: "W/L: window/level tool, drag sideways for contrast, up and down for brightness", title: "Window/level drag (W)", keys: "W", pressed: false, onClick: function () { self.setTool(self.tool === "wl" ? "pan" : "wl"); } });
    toolGroup.appendChild(this.panBtn);
    toolGroup.appendChild(this.wlBtn);
    toolbar.appendChild(toolGroup);

    if (this.presetNames.length) {
      var presetGroup = el("div", { class: "viewer__group viewer__group--presets", role: "group", "aria-label": "Window presets" });
      this.presetBtns = [];
      var names = [null].concat(this.presetNames);
      names.forEach(function (name, i) {
        var label = name === null ? "Default" : name;
        var b = button(label, {
          aria: "Window preset: " + label,
          title: label + (i < 9 ? " (" + (i + 1) + ")" : ""),
          keys: i < 9 ? String(i + 1) : null,
          pressed: name === null,
          onClick: function () { self.setPreset(name); },
        });
        b.dataset.preset = name === null ? "" : name;
        self.presetBtns.push(b);
        presetGroup.appendChild(b);
      });
      toolbar.appendChild(presetGroup);
    }

    var viewGroup = el("div", { class: "viewer__group", role: "group", "aria-label": "View" });
    this.invertBtn = button("Invert", { aria: "Invert", title: "Invert (I)", keys: "I", pressed: false, onClick: function () { self.toggleInvert(); } });
    viewGroup.appendChild(this.invertBtn);
    if (this.hasAnnotations) {
      this.annotatedBtn = button("Annotated", { cls: "viewer__btn--annotated", aria: "Annotated image", title: "Annotated / clean image (A)", keys: "A", pressed: false, onClick: function () { self.toggleAnnotated(); } });
      viewGroup.appendChild(this.annotatedBtn);
    }
    viewGroup.appendChild(button("Reset", { aria: "Reset view", title: "Reset (R or 0)", keys: "R 0", onClick: function () { self.reset(); } }));
    this.fsBtn = button("Full screen", { title: "Full screen (F)", keys: "F", onClick: function () { self.toggleFullscreen(); } });
    viewGroup.appendChild(this.fsBtn);
    var helpId = this.id + "-help";
    this.helpBtn = button("?", { aria: "Keyboard shortcuts", title: "Keyboard shortcuts (?)", keys: "?", onClick: function () { self.toggleHelp(); } });
    this.helpBtn.setAttribute("aria-expanded", "false");
    this.helpBtn.setAttribute("aria-controls", helpId);
    viewGroup.appendChild(this.helpBtn);
    toolbar.appendChild(viewGroup);

    // Brightness / contrast as sliders: touch- and keyboard-friendly, and they show the value.
    var adjust = el("div", { class: "viewer__adjust", role: "group", "aria-label": "Brightness and contrast" });
    this.brightnessInput = this.slider(adjust, "Brightness", 20, 300, function (v) { self.brightness = v; self.render(); });
    this.contrastInput = this.slider(adjust, "Contrast", 20, 400, function (v) { self.contrast = v; self.render(); });

    root.insertBefore(toolbar, this.stage);
    root.insertBefore(adjust, this.stage);

    if (this.isStack) {
      var nav = el("div", { class: "viewer__stack", role: "group", "aria-label": "Stack" });
      nav.appendChild(button("\u25B2", { aria: "Previous image", title: "Previous image (\u2191, Page Up)", keys: "ArrowUp PageUp", onClick: function () { self.step(-1); } }));
      var sliderId = this.id + "-slice";
      this.stackInput = el("input", {
        type: "range", id: sliderId, class: "viewer__slider", min: "1", max: String(this.frames.length),
        step: "1", value: "1", "aria-label": "Image in stack",
      });
      this.stackInput.addEventListener("input", function () { self.showFrame(parseInt(self.stackInput.value, 10) - 1); });
      nav.appendChild(this.stackInput);
      nav.appendChild(button("\u25BC", { aria: "Next image", title: "Next image (\u2193, Page Down)", keys: "ArrowDown PageDown", onClick: function () { self.step(1); } }));
      this.stackOut = el("output", { class: "viewer__count", for: sliderId }, "1 / " + this.frames.length);
      nav.appendChild(this.stackOut);
      this.stage.insertAdjacentElement("afterend", nav);
    }

    this.help = el("div", { id: helpId, class: "viewer__help", hidden: "" });
    this.help.appendChild(el("h2", { class: "viewer__help-title" }, "Viewer shortcuts"));
    var dl = el("dl");
    SHORTCUTS.forEach(function (row) {
      // Before the reveal the viewer says nothing at all about annotations.
      if (row[0] === "A" && !this.hasAnnotations) return;
      dl.appendChild(el("dt", null, row[0]));
      dl.appendChild(el("dd", null, row[1]));
    }, this);
    this.help.appendChild(dl);
    this.help.appendChild(el("p", null, "Shortcuts work while the viewer has keyboard focus."));

    root.appendChild(this.help);
    root.appendChild(hint);
    root.appendChild(this.live);

    this.img.setAttribute("draggable", "false");
    this.stage.style.setProperty("--viewer-ratio", (this.frames[0].width || 4) + " / " + (this.frames[0].height || 3));
  };

  Viewer.prototype.slider = function (parent, label, min, max, onInput) {
    var id = this.id + "-" + label.toLowerCase();
    var wrap = el("div", { class: "viewer__range" });
    wrap.appendChild(el("label", { for: id }, label));
    var input = el("input", { type: "range", id: id, min: String(min), max: String(max), step: "5", value: "100" });
    var out = el("output", { for: id }, "100%");
    input.addEventListener("input", function () { onInput(parseInt(input.value, 10)); });
    input._out = out;
    wrap.appendChild(input);
    wrap.appendChild(out);
    parent.appendChild(wrap);
    return input;
  };

  /* ---------- events ---------- */

  Viewer.prototype.bind = function () {
    var self = this;
    var stage = this.stage;

    this.root.addEventListener("keydown", function (e) { self.onKey(e); });
    // Warm the neighbouring slices once the reader shows interest, not at page load.
    if (this.isStack) {
      var warm = function () { self.prefetchAround(self.frame); };
      this.root.addEventListener("focusin", warm, { once: true });
      stage.addEventListener("pointerenter", warm, { once: true });
    }
    stage.addEventListener("wheel", function (e) { self.onWheel(e); }, { passive: false });
    stage.addEventListener("pointerdown", function (e) { self.onPointerDown(e); });
    stage.addEventListener("pointermove", function (e) { self.onPointerMove(e); });
    stage.addEventListener("pointerup", function (e) { self.onPointerUp(e); });
    stage.addEventListener("pointercancel", function (e) { self.onPointerUp(e); });
    stage.addEventListener("dblclick", function (e) { self.onDoubleClick(e); });
    stage.addEventListener("contextmenu", function (e) { e.preventDefault(); }); // right drag = W/L
    this.img.addEventListener("load", function () { self.root.classList.remove("viewer--loading"); });
    this.img.addEventListener("error", function () { self.root.classList.remove("viewer--loading"); });
    document.addEventListener("fullscreenchange", function () { self.render(); });
  };

  Viewer.prototype.onKey = function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    var inField = t !== this.root && t.matches && t.matches("input, select, textarea");
    var key = e.key;
    var navKeys = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "PageUp", "PageDown", "Home", "End"];
    // Sliders keep their own arrow keys.
    if (inField && navKeys.indexOf(key) !== -1 && !e.shiftKey) return;
    if (inField && t.type !== "range") return;

    var handled = true;
    if (e.shiftKey && key.indexOf("Arrow") === 0) {
      var dx = key === "ArrowLeft" ? 1 : key === "ArrowRight" ? -1 : 0;
      var dy = key === "ArrowUp" ? 1 : key === "ArrowDown" ? -1 : 0;
      this.panBy(dx * PAN_STEP, dy * PAN_STEP);
    } else if (this.isStack && (key === "ArrowUp" || key === "PageUp")) {
      this.step(-1);
    } else if (this.isStack && (key === "ArrowDown" || key === "PageDown")) {
      this.step(1);
    } else if (this.isStack && key === "Home") {
      this.showFrame(0);
    } else if (this.isStack && key === "End") {
      this.showFrame(this.frames.length - 1);
    } else {
      switch (key) {
        case "+": case "=": this.zoomBy(ZOOM_STEP); break;
        case "-": case "_": this.zoomBy(1 / ZOOM_STEP); break;
        case "0": case "r": case "R": this.reset(); break;
        case "i": case "I": this.toggleInvert(); break;
        case "a": case "A":
          if (this.hasAnnotations) this.toggleAnnotated(); else handled = false;
          break;
        case "f": case "F": this.toggleFullscreen(); break;
        case "w": case "W": this.setTool(this.tool === "wl" ? "pan" : "wl"); break;
        case "p": case "P": this.setTool("pan"); break;
        case "[": this.adjust("contrast", -ADJUST_STEP); break;
        case "]": this.adjust("contrast", ADJUST_STEP); break;
        case ",": this.adjust("brightness", -ADJUST_STEP); break;
        case ".": this.adjust("brightness", ADJUST_STEP); break;
        case "?": this.toggleHelp(); break;
        case "Escape":
          if (!this.help.hidden) this.toggleHelp(false);
          else if (this.fallbackFullscreen) this.toggleFullscreen();
          else handled = false;
          break;
        default:
          if (/^[1-9]$/.test(key) && this.presetBtns) {
            var i = parseInt(key, 10) - 1;
            var names = [null].concat(this.presetNames);
            if (i < names.length) this.setPreset(names[i]); else handled = false;
          } else {
            handled = false;
          }
      }
    }
    if (handled) e.preventDefault();
  };

  Viewer.prototype.stagePoint = function (e) {
    var r = this.stage.getBoundingClientRect();
    return { x: (e.clientX - r.left) / (r.width || 1), y: (e.clientY - r.top) / (r.height || 1) };
  };

  Viewer.prototype.onWheel = function (e) {
    var dy = e.deltaY;
    if (e.deltaMode === 1) dy *= 16; // lines
    else if (e.deltaMode === 2) dy *= this.stage.clientHeight || 400; // pages
    if (!dy) return;
    e.preventDefault();
    if (this.isStack && !(e.ctrlKey || e.metaKey)) {
      if (Math.abs(dy) >= WHEEL_FRAME_PX) {
        this.wheelAccum = 0;
        this.step(dy > 0 ? 1 : -1);
      } else {
        // Trackpads send many small deltas: add them up.
        this.wheelAccum += dy;
        if (Math.abs(this.wheelAccum) >= WHEEL_FRAME_PX) {
          this.step(this.wheelAccum > 0 ? 1 : -1);
          this.wheelAccum = 0;
        }
      }
      return;
    }
    var factor = Math.exp(-clamp(dy, -100, 100) * 0.003);
    this.zoomAt(this.zoom * factor, this.stagePoint(e));
  };

  Viewer.prototype.onPointerDown = function (e) {
    if (e.pointerType === "mouse" && e.button !== 0 && e.button !== 2) return;
    // Keys work after a click; touch readers get no focus ring they did not ask for.
    if (e.pointerType !== "touch") this.root.focus({ preventScroll: true });
    try { this.stage.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    e.preventDefault();
    this.startGesture(e);
  };

  // (Re)start the gesture from the pointers currently down.
  Viewer.prototype.startGesture = function (e) {
    var pts = Array.from(this.pointers.values());
    var rect = this.stage.getBoundingClientRect();
    if (pts.length >= 2) {
      var a = pts[0], b = pts[1];
      this.gesture = {
        kind: "pinch",
        rect: rect,
        dist: Math.hypot(a.x - b.x, a.y - b.y) || 1,
        mid: { x: ((a.x + b.x) / 2 - rect.left) / rect.width, y: ((a.y + b.y) / 2 - rect.top) / rect.height },
        zoom: this.zoom, x: this.x, y: this.y,
      };
      return;
    }
    if (!pts.length) { this.gesture = null; return; }
    var p = pts[0];
    var kind = "pan";
    var wlButton = e && e.pointerType === "mouse" && e.button === 2;
    if (this.tool === "wl" || wlButton) kind = "wl";
    else if (this.isStack && e && e.pointerType === "touch" && this.zoom <= 1.001) kind = "swipe";
    this.gesture = {
      kind: kind, rect: rect, sx: p.x, sy: p.y,
      x: this.x, y: this.y, brightness: this.brightness, contrast: this.contrast,
      frame: this.frame,
    };
    this.root.classList.toggle("viewer--dragging", true);
  };

  Viewer.prototype.onPointerMove = function (e) {
    if (!this.pointers.has(e.pointerId) || !this.gesture) return;
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    var g = this.gesture;
    var r = g.rect;
    if (g.kind === "pinch") {
      var pts = Array.from(this.pointers.values());
      if (pts.length < 2) return;
      var a = pts[0], b = pts[1];
      var dist = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      var mid = { x: ((a.x + b.x) / 2 - r.left) / r.width, y: ((a.y + b.y) / 2 - r.top) / r.height };
      var z = clamp(g.zoom * dist / g.dist, MIN_ZOOM, MAX_ZOOM);
      // Keep the image point that was under the fingers' midpoint under it.
      var ux = (g.mid.x - g.x) / g.zoom, uy = (g.mid.y - g.y) / g.zoom;
      this.zoom = z;
      this.x = mid.x - ux * z;
      this.y = mid.y - uy * z;
      this.clampPan();
      this.render();
      return;
    }
    var dxPx = e.clientX - g.sx, dyPx = e.clientY - g.sy;
    if (g.kind === "pan") {
      this.x = g.x + dxPx / r.width;
      this.y = g.y + dyPx / r.height;
      this.clampPan();
      this.render();
    } else if (g.kind === "wl") {
      // Right = more contrast, up = brighter; exponential so small drags are fine-grained.
      this.contrast = clamp(Math.round(g.contrast * Math.exp(dxPx / 200)), 20, 400);
      this.brightness = clamp(Math.round(g.brightness * Math.exp(-dyPx / 200)), 20, 300);
      this.render();
    } else if (g.kind === "swipe") {
      // One slice per step; a full-height swipe covers up to 40 slices.
      var stepPx = clamp(r.height / Math.min(this.frames.length, 40), 10, 60);
      var delta = Math.trunc(-dyPx / stepPx);
      var target = clamp(g.frame + delta, 0, this.frames.length - 1);
      if (target !== this.frame) this.showFrame(target);
    }
  };

  Viewer.prototype.onPointerUp = function (e) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    if (this.pointers.size) {
      // Lifting one finger of a pinch: continue as a one-finger pan from here.
      this.startGesture(null);
    } else {
      this.gesture = null;
      this.root.classList.remove("viewer--dragging");
      this.announceZoomIfChanged();
    }
  };

  Viewer.prototype.onDoubleClick = function (e) {
    e.preventDefault();
    if (this.zoom > 1.01) {
      this.zoom = 1; this.x = 0; this.y = 0; this.render();
    } else {
      this.zoomAt(2, this.stagePoint(e));
    }
  };

  /* ---------- actions ---------- */

  Viewer.prototype.zoomAt = function (z, p) {
    z = clamp(z, MIN_ZOOM, MAX_ZOOM);
    var ux = (p.x - this.x) / this.zoom, uy = (p.y - this.y) / this.zoom;
    this.zoom = z;
    this.x = p.x - ux * z;
    this.y = p.y - uy * z;
    this.clampPan();
    this.render();
    this.announceZoomSoon();
  };

  Viewer.prototype.zoomBy = function (factor) {
    this.zoomAt(this.zoom * factor, { x: 0.5, y: 0.5 });
  };

  Viewer.prototype.panBy = function (dx, dy) {
    this.x += dx;
    this.y += dy;
    this.clampPan();
    this.render();
  };

  // Keep at least a fifth of the image (or of the stage, whichever is smaller) in view.
  Viewer.prototype.clampPan = function () {
    var m = 0.2 * Math.min(this.zoom, 1);
    this.x = clamp(this.x, m - this.zoom, 1 - m);
    this.y = clamp(this.y, m - this.zoom, 1 - m);
    if (Math.abs(this.zoom - 1) < 1e-3 && Math.abs(this.x) < 1e-3 && Math.abs(this.y) < 1e-3) {
      this.zoom = 1; this.x = 0; this.y = 0;
    }
  };

  Viewer.prototype.adjust = function (which, delta) {
    if (which === "contrast") this.contrast = clamp(this.contrast + delta, 20, 400);
    else this.brightness = clamp(this.brightness + delta, 20, 300);
    this.render();
    this.announce((which === "contrast" ? "Contrast " + this.contrast : "Brightness " + this.brightness) + "%");
  };

  Viewer.prototype.setTool = function (tool) {
    this.tool = tool;
    this.render();
    this.announce(tool === "wl" ? "Window/level drag" : "Pan drag");
  };

  Viewer.prototype.setPreset = function (name) {
    this.preset = name;
    this.render();
    this.announce("Window: " + (name || "default"));
  };

  Viewer.prototype.toggleInvert = function () {
    this.inverted = !this.inverted;
    this.render();
    this.announce(this.inverted ? "Inverted" : "Not inverted");
  };

  Viewer.prototype.toggleAnnotated = function () {
    if (!this.hasAnnotations) return;
    this.annotated = !this.annotated;
    this.render();
    var f = this.frames[this.frame];
    this.announce(this.annotated ? (f.annotatedSrc ? "Annotated image" : "No annotated version of this image") : "Clean image");
  };

  Viewer.prototype.reset = function () {
    this.resetView();
    this.tool = "pan";
    this.render();
    this.announce("View reset");
  };

  Viewer.prototype.isFullscreen = function () {
    return document.fullscreenElement === this.root || this.fallbackFullscreen;
  };

  Viewer.prototype.toggleFullscreen = function () {
    var self = this;
    if (document.fullscreenElement === this.root) {
      document.exitFullscreen();
      return;
    }
    if (this.fallbackFullscreen) {
      this.setFallbackFullscreen(false);
      return;
    }
    if (this.root.requestFullscreen && document.fullscreenEnabled) {
      this.root.requestFullscreen().catch(function () { self.setFallbackFullscreen(true); });
    } else {
      this.setFallbackFullscreen(true);
    }
  };

  // CSS full screen for browsers without the element Fullscreen API (iPhone Safari).
  Viewer.prototype.setFallbackFullscreen = function (on) {
    this.fallbackFullscreen = on;
    this.root.classList.toggle("viewer--fullscreen", on);
    document.documentElement.classList.toggle("viewer-lock", on);
    this.render();
    if (on) this.root.focus({ preventScroll: true });
  };

  Viewer.prototype.toggleHelp = function (force) {
    var show = typeof force === "boolean" ? force : this.help.hidden;
    this.help.hidden = !show;
    this.helpBtn.setAttribute("aria-expanded", String(show));
  };

  Viewer.prototype.step = function (delta) {
    this.showFrame(clamp(this.frame + delta, 0, this.frames.length - 1));
  };

  Viewer.prototype.showFrame = function (index, initial) {
    index = clamp(index, 0, this.frames.length - 1);
    if (index === this.frame && !initial) return;
    var prev = this.frames[this.frame];
    this.frame = index;
    var f = this.frames[index];
    if (prev) prev.li.classList.remove("viewer__frame--current");
    f.li.classList.add("viewer__frame--current");
    this.frames.forEach(function (fr) { fr.li.hidden = fr !== f; });
    this.img.alt = f.alt;
    if (f.width && f.height) {
      this.img.width = f.width;
      this.img.height = f.height;
    }
    this.render();
    if (this.isStack && !initial) {
      this.prefetchAround(index);
      this.announce("Image " + (index + 1) + " of " + this.frames.length);
    }
  };

  // The src to show for a frame given the current annotated/preset/zoom state.
  Viewer.prototype.srcFor = function (f) {
    if (this.annotated && f.annotatedSrc) return f.annotatedSrc;
    if (this.preset) {
      for (var i = 0; i < f.presets.length; i++) {
        if (f.presets[i].name === this.preset) return f.presets[i].src;
      }
    }
    if (f.fullSrc && f.fullSrc !== f.src && this.needsFullResolution(f)) {
      if (f.fullReady) return f.fullSrc;
      this.loadFull(f);
    }
    return f.src;
  };

  // True when the display derivative would be magnified on screen.
  Viewer.prototype.needsFullResolution = function (f) {
    if (this.zoom <= 1 || !f.width || !f.height) return false;
    var w = this.stage.clientWidth, h = this.stage.clientHeight;
    var fit = Math.min(w / f.width, h / f.height);
    return fit * this.zoom * (window.devicePixelRatio || 1) > 1.1;
  };

  Viewer.prototype.loadFull = function (f) {
    if (f.fullLoading) return;
    f.fullLoading = true;
    var self = this;
    var probe = new Image();
    probe.onload = function () { f.fullReady = true; if (self.frames[self.frame] === f) self.render(); };
    probe.src = f.fullSrc;
  };

  Viewer.prototype.prefetchAround = function (index) {
    for (var d = 1; d <= 2; d++) {
      [index + d, index - d].forEach(function (i) {
        if (i < 0 || i >= this.frames.length) return;
        var src = this.srcFor(this.frames[i]);
        if (this.prefetched[src]) return;
        this.prefetched[src] = true;
        new Image().src = src;
      }, this);
    }
  };

  /* ---------- output ---------- */

  Viewer.prototype.render = function () {
    var f = this.frames[this.frame];
    var src = this.srcFor(f);
    if (this.img.getAttribute("src") !== src) {
      this.root.classList.add("viewer--loading");
      this.img.setAttribute("src", src);
      if (this.img.complete) this.root.classList.remove("viewer--loading");
    }
    this.img.style.transform = "translate(" + (this.x * 100).toFixed(3) + "%, " + (this.y * 100).toFixed(3) + "%) scale(" + this.zoom.toFixed(4) + ")";
    var filter = [];
    if (this.brightness !== 100) filter.push("brightness(" + this.brightness / 100 + ")");
    if (this.contrast !== 100) filter.push("contrast(" + this.contrast / 100 + ")");
    if (this.inverted) filter.push("invert(1)");
    this.img.style.filter = filter.join(" ");

    var showingAnnotated = this.annotated && !!f.annotatedSrc;
    var ds = this.root.dataset;
    ds.zoom = String(Math.round(this.zoom * 1000) / 1000);
    ds.frame = String(this.frame);
    ds.inverted = String(this.inverted);
    ds.annotated = String(showingAnnotated);
    ds.tool = this.tool;
    ds.fullscreen = String(this.isFullscreen());
    ds.brightness = String(this.brightness);
    ds.contrast = String(this.contrast);

    this.zoomOut.textContent = Math.round(this.zoom * 100) + "%";
    this.panBtn.setAttribute("aria-pressed", String(this.tool === "pan"));
    this.wlBtn.setAttribute("aria-pressed", String(this.tool === "wl"));
    this.invertBtn.setAttribute("aria-pressed", String(this.inverted));
    this.fsBtn.textContent = this.isFullscreen() ? "Exit full screen" : "Full screen";
    if (this.annotatedBtn) {
      this.annotatedBtn.setAttribute("aria-pressed", String(this.annotated));
      this.annotatedBtn.disabled = !f.annotatedSrc;
    }
    if (this.presetBtns) {
      var preset = this.preset;
      this.presetBtns.forEach(function (b) {
        var name = b.dataset.preset || null;
        b.setAttribute("aria-pressed", String(name === preset));
        b.disabled = name !== null && !f.presets.some(function (p) { return p.name === name; });
      });
    }
    [this.brightnessInput, this.contrastInput].forEach(function (input, i) {
      var v = i === 0 ? this.brightness : this.contrast;
      if (input.value !== String(v)) input.value = String(v);
      input._out.textContent = v + "%";
    }, this);
    if (this.stackInput) {
      this.stackInput.value = String(this.frame + 1);
      this.stackInput.setAttribute("aria-valuetext", "Image " + (this.frame + 1) + " of " + this.frames.length);
      this.stackOut.textContent = (this.frame + 1) + " / " + this.frames.length;
    }
  };

  Viewer.prototype.announce = function (text) {
    var live = this.live;
    clearTimeout(this.announceTimer);
    // Debounced so fast scrolling through a stack reads only where it stops.
    this.announceTimer = setTimeout(function () { live.textContent = text; }, 250);
  };

  Viewer.prototype.announceZoomSoon = function () {
    if (!this.gesture) this.announce("Zoom " + Math.round(this.zoom * 100) + "%");
  };

  Viewer.prototype.announceZoomIfChanged = function () {
    if (this.lastAnnouncedZoom !== this.zoom) {
      this.lastAnnouncedZoom = this.zoom;
      this.announce("Zoom " + Math.round(this.zoom * 100) + "%");
    }
  };

  /* ---------- start-up ---------- */

  function init(scope) {
    var container = scope && scope.querySelectorAll ? scope : document;
    var roots = Array.prototype.slice.call(container.querySelectorAll("[data-viewer]"));
    if (container.matches && container.matches("[data-viewer]")) roots.unshift(container);
    roots.forEach(function (root) {
      if (root.viewer) return;
      root.viewer = new Viewer(root);
    });
  }

  window.TFViewer = { init: init };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Content swapped in by htmx (e.g. the reveal with its annotated figures).
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
