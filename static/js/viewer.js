/*
 * Teaching-file image viewer on Cornerstone3D (docs/viewer.md).
 *
 * Without JavaScript, [data-viewer] is a plain first image with captions and links. With
 * it, this file builds the toolbar and readouts, then loads the vendored Cornerstone3D
 * bundle (only on pages that have a viewer) and shows the stack in a Cornerstone stack
 * viewport. DICOM figures come as viewer sources (.tfv: a JSON header and stored-depth
 * pixels, see teachingfile/imaging/viewer_source.py); JPEG/PNG/WebP figures are read
 * from their 8-bit display image. Measurements are scratch marks: never stored.
 *
 * No inline script or style attribute is written: it all runs under the site's CSP.
 */
(function () {
  "use strict";
  if (window.TFViewer) return; // the include may bring this script more than once

  // Modality defaults after the header's own windows: [name, centre, width] in HU.
  var CT_PRESETS = [
    ["Brain", 40, 80], ["Subdural", 75, 215], ["Stroke", 40, 40], ["Lung", -600, 1500],
    ["Mediastinum", 50, 350], ["Abdomen", 60, 400], ["Liver", 60, 160], ["Bone", 400, 1800],
  ];
  var TOOLS = [
    // [mode, label, key, Cornerstone tool name or null]
    ["wl", "Window/level", "W", "WindowLevel"],
    ["pan", "Pan", "P", "Pan"],
    ["zoom", "Zoom", "Z", "Zoom"],
    ["scroll", "Scroll", "S", "StackScroll"],
    ["probe", "Probe", "V", null],
    ["length", "Length", "L", "Length"],
    ["angle", "Angle", "G", "Angle"],
    ["roi", "Ellipse ROI", "O", "EllipticalROI"],
  ];
  var POINTS_NEEDED = { length: 2, angle: 3, roi: 2 };
  var MEASURES = { Length: "Length", Angle: "Angle", EllipticalROI: "Ellipse" };
  var DTYPES = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
    float32: Float32Array };

  var ready = null; // promise of {core, tools, engine} once the bundle has run
  var sources = new Map(); // imageId -> display facts (metadata provider and probe)
  var viewers = new Map(); // viewportId -> viewer state
  var counter = 0;

  // ---------- the bundle and Cornerstone set-up ----------

  function loadBundle(url) {
    if (ready) return ready;
    ready = new Promise(function (resolve, reject) {
      if (window.cornerstone3D) { resolve(window.cornerstone3D); return; }
      var script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = function () { resolve(window.cornerstone3D); };
      script.onerror = function () { reject(new Error("viewer bundle failed to load")); };
      document.head.appendChild(script);
    }).then(setUp);
    return ready;
  }

  function setUp(cs) {
    var core = cs.core, tools = cs.tools;
    return Promise.resolve(core.init()).then(function () {
      // A software WebGL (no GPU: SwiftShader, llvmpipe) is slower than Cornerstone's own
      // CPU renderer for 2D stacks, so such machines draw on the CPU.
      var caps = core.getRenderingCapabilities();
      if (caps.webgl && caps.softwareRasterizer) core.setUseCPURendering(true, false);
      tools.init();
      core.imageLoader.registerImageLoader("tfv", function (imageId) {
        return { promise: loadSource(core, imageId) };
      });
      core.imageLoader.registerImageLoader("tfimg", function (imageId) {
        return { promise: loadRaster(core, imageId) };
      });
      core.metaData.addProvider(metadata, 10000);
      [tools.PanTool, tools.ZoomTool, tools.WindowLevelTool, tools.StackScrollTool,
        tools.LengthTool, tools.AngleTool, tools.EllipticalROITool].forEach(function (Tool) {
        tools.addTool(Tool);
      });
      var engine = new core.RenderingEngine("tf-viewer-engine");
      return { core: core, tools: tools, engine: engine };
    });
  }

  function fetchBytes(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("image request failed: " + response.status);
      return response.arrayBuffer();
    });
  }

  // The twin of teachingfile/imaging/viewer_source.py:parse.
  function parseSource(buffer) {
    var bytes = new Uint8Array(buffer);
    if (String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) !== "TFV1") {
      throw new Error("not a viewer source");
    }
    var length = new DataView(buffer).getUint32(4, true);
    var header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    var Type = DTYPES[header.dtype];
    if (!Type) throw new Error("unknown pixel type " + header.dtype);
    var count = header.rows * header.columns * header.samples_per_pixel;
    return { header: header, stored: new Type(buffer, 8 + length, count) };
  }

  // Stored values -> output units (HU on CT) once, so windows, probe and ROI statistics
  // all work in the modality's units. Int16 keeps a CT series at 2 bytes a pixel, and
  // 16-bit stored values are rewritten in place (same index, same size), so a slice never
  // has two copies; anything that does not fit in Int16 goes to Float32.
  function toModality(header, stored) {
    var slope = header.rescale_slope, intercept = header.rescale_intercept;
    if (header.samples_per_pixel > 1 || (slope === 1 && intercept === 0 && !(stored instanceof Int8Array))) {
      return stored;
    }
    var n = stored.length, lo = Infinity, hi = -Infinity, whole = Number.isInteger(slope) && Number.isInteger(intercept);
    for (var i = 0; i < n; i++) { var v = stored[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    var a = lo * slope + intercept, b = hi * slope + intercept;
    var fits = whole && Math.min(a, b) >= -32768 && Math.max(a, b) <= 32767;
    var out = fits && stored.BYTES_PER_ELEMENT === 2
      ? new Int16Array(stored.buffer, stored.byteOffset, n)
      : new (fits ? Int16Array : Float32Array)(n);
    for (var j = 0; j < n; j++) out[j] = stored[j] * slope + intercept;
    return out;
  }

  function loadSource(core, imageId) {
    return fetchBytes(imageId.slice(4)).then(function (buffer) {
      var parsed = parseSource(buffer);
      var h = parsed.header;
      var spacing = h.spacing_calibrated && h.pixel_spacing ? h.pixel_spacing : null;
      var facts = {
        rows: h.rows, columns: h.columns, samples: h.samples_per_pixel,
        photometric: h.photometric_interpretation, modality: h.modality, units: h.units,
        spacing: spacing, windows: h.windows || [], position: h.position,
      };
      return makeImage(core, imageId, toModality(h, parsed.stored), facts);
    });
  }

  // JPEG/PNG/WebP: decoded by the browser, its 8-bit values read back from a canvas.
  function loadRaster(core, imageId) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error("image failed to load")); };
      img.src = imageId.slice(6);
    }).then(function (img) {
      var canvas = document.createElement("canvas");
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(img, 0, 0);
      var rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
      var n = canvas.width * canvas.height, grey = true;
      for (var i = 0; i < n * 4 && grey; i += 4) {
        grey = rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
      }
      var samples = grey ? 1 : 3, pixels = new Uint8Array(n * samples);
      for (var p = 0; p < n; p++) {
        if (grey) pixels[p] = rgba[p * 4];
        else { pixels[p * 3] = rgba[p * 4]; pixels[p * 3 + 1] = rgba[p * 4 + 1]; pixels[p * 3 + 2] = rgba[p * 4 + 2]; }
      }
      return makeImage(core, imageId, pixels, {
        rows: canvas.height, columns: canvas.width, samples: samples,
        photometric: grey ? "MONOCHROME2" : "RGB", modality: "OT", units: "",
        spacing: null, windows: [], position: 0,
      });
    });
  }

  function makeImage(core, imageId, pixels, facts) {
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < pixels.length; i++) { var v = pixels[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    if (!facts.windows.length) facts.windows = [[(lo + hi) / 2, Math.max(hi - lo, 1)]];
    // Only the small facts are kept here; the pixels belong to Cornerstone's cache, which
    // may evict them (the probe reads them back from it).
    facts.bits = pixels.BYTES_PER_ELEMENT * 8;
    facts.signed = !(pixels instanceof Uint8Array || pixels instanceof Uint16Array);
    sources.set(imageId, facts);
    var colour = facts.samples > 1;
    var voxelManager = core.utilities.VoxelManager.createImageVoxelManager({
      width: facts.columns, height: facts.rows, numberOfComponents: facts.samples,
      scalarData: pixels, id: imageId,
    });
    var spacing = facts.spacing || [1, 1];
    return {
      imageId: imageId, minPixelValue: lo, maxPixelValue: hi, slope: 1, intercept: 0,
      windowCenter: facts.windows[0][0], windowWidth: facts.windows[0][1],
      voiLUTFunction: "LINEAR", getPixelData: function () { return voxelManager.getScalarData(); },
      getCanvas: undefined, rows: facts.rows, columns: facts.columns, height: facts.rows,
      width: facts.columns, color: colour, rgba: false, numberOfComponents: facts.samples,
      columnPixelSpacing: spacing[1], rowPixelSpacing: spacing[0],
      invert: facts.photometric === "MONOCHROME1", photometricInterpretation: facts.photometric,
      sizeInBytes: pixels.byteLength, dataType: pixels.constructor.name, voxelManager: voxelManager,
      preScale: { enabled: true, scaled: true },
    };
  }

  function metadata(type, imageId) {
    var f = sources.get(imageId);
    if (!f) return undefined;
    var spacing = f.spacing || [1, 1];
    var bits = f.bits;
    switch (type) {
      case "imagePlaneModule":
        return {
          rows: f.rows, columns: f.columns, frameOfReferenceUID: "tf-viewer",
          imageOrientationPatient: [1, 0, 0, 0, 1, 0], rowCosines: [1, 0, 0], columnCosines: [0, 1, 0],
          imagePositionPatient: [0, 0, f.position], pixelSpacing: f.spacing ? spacing : undefined,
          rowPixelSpacing: spacing[0], columnPixelSpacing: spacing[1], sliceThickness: 1,
          usingDefaultValues: !f.spacing,
        };
      case "imagePixelModule":
        return {
          samplesPerPixel: f.samples, photometricInterpretation: f.photometric, rows: f.rows,
          columns: f.columns, bitsAllocated: bits, bitsStored: bits, highBit: bits - 1,
          pixelRepresentation: f.signed ? 1 : 0,
        };
      case "generalSeriesModule":
        return { modality: f.modality || "OT" };
      case "voiLutModule":
        return {
          windowCenter: f.windows.map(function (w) { return w[0]; }),
          windowWidth: f.windows.map(function (w) { return w[1]; }),
        };
      case "modalityLutModule":
        return { rescaleSlope: 1, rescaleIntercept: 0 };
      default:
        return undefined;
    }
  }

  // ---------- markup ----------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function button(label, action, key, extra) {
    var b = el("button", Object.assign({ type: "button", class: "viewer__btn", "data-action": action }, extra || {}), label);
    if (key) b.setAttribute("aria-keyshortcuts", key);
    return b;
  }

  function buildUi(root, frames) {
    var id = root.id;
    var ui = {};
    var bar = el("div", { class: "viewer__toolbar", role: "toolbar", "aria-label": "Image tools" });
    var toolGroup = el("div", { class: "viewer__group", role: "group", "aria-label": "Mouse and keyboard tool" });
    ui.toolButtons = {};
    TOOLS.forEach(function (t) {
      if (t[0] === "scroll" && frames.length < 2) return;
      var b = button(t[1], "tool", t[2], { "data-tool": t[0], "aria-pressed": "false" });
      ui.toolButtons[t[0]] = b;
      toolGroup.appendChild(b);
    });
    bar.appendChild(toolGroup);
    var view = el("div", { class: "viewer__group", role: "group", "aria-label": "View" });
    [["Zoom in", "zoom-in", "+"], ["Zoom out", "zoom-out", "-"], ["Rotate", "rotate", "E"],
      ["Flip horizontal", "flip-h", "H"], ["Flip vertical", "flip-v", "Y"],
      ["Invert", "invert", "I"], ["Reset", "reset", "R"], ["Full screen", "fullscreen", "F"],
      ["Keys", "help", "?"]].forEach(function (b) {
      view.appendChild(button(b[0], b[1], b[2], b[1] === "invert" || b[1] === "fullscreen" ? { "aria-pressed": "false" } : null));
    });
    ui.annotated = null;
    if (frames.some(function (f) { return f.dataset.annotatedSrc; })) {
      ui.annotated = button("Annotated", "annotated", "A", { "aria-pressed": "false", class: "viewer__btn viewer__btn--annotated" });
      view.appendChild(ui.annotated);
    }
    bar.appendChild(view);

    var wl = el("div", { class: "viewer__wl" });
    ui.centre = el("input", { type: "number", id: id + "-wc", step: "1", inputmode: "decimal" });
    ui.width = el("input", { type: "number", id: id + "-ww", step: "1", min: "1", inputmode: "decimal" });
    wl.appendChild(el("label", { for: id + "-wc" }, "Window center"));
    wl.appendChild(ui.centre);
    wl.appendChild(el("label", { for: id + "-ww" }, "Window width"));
    wl.appendChild(ui.width);
    ui.presets = el("select", { id: id + "-preset", "aria-keyshortcuts": "1 2 3 4 5 6 7 8 9" });
    wl.appendChild(el("label", { for: id + "-preset" }, "Preset"));
    wl.appendChild(ui.presets);

    var stack = null;
    if (frames.length > 1) {
      stack = el("div", { class: "viewer__stack viewer__stackbar" });
      stack.appendChild(button("Previous image", "prev", "ArrowUp"));
      ui.slider = el("input", { type: "range", min: "1", max: String(frames.length), value: "1", step: "1",
        id: id + "-slice", class: "viewer__slider" });
      stack.appendChild(el("label", { for: id + "-slice", class: "visually-hidden" }, "Image in stack"));
      stack.appendChild(ui.slider);
      stack.appendChild(button("Next image", "next", "ArrowDown"));
      ui.indicator = el("output", { class: "viewer__indicator", for: id + "-slice" }, "1 / " + frames.length);
      stack.appendChild(ui.indicator);
      ui.play = button("Play", "cine", "C", { "aria-pressed": "false" });
      stack.appendChild(ui.play);
      ui.fps = el("input", { type: "number", id: id + "-fps", min: "1", max: "60", step: "1", value: "15" });
      stack.appendChild(el("label", { for: id + "-fps" }, "Frames per second"));
      stack.appendChild(ui.fps);
    }

    ui.readout = el("p", { class: "viewer__readout", "data-probe": "" }, "Point at the image for its value.");
    ui.measures = el("ul", { class: "viewer__measures", "aria-label": "Measurements (not saved)" });
    ui.status = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    ui.help = el("div", { class: "viewer__help", hidden: "" });
    ui.help.appendChild(el("p", null, "Keys (focus in the viewer): 1-9 window presets; [ ] narrow/widen the window; , . lower/raise the centre; "
      + "W window/level, P pan, Z zoom, S scroll, V probe, L length, G angle, O ellipse ROI tool; arrows move the cursor of "
      + "the probe and measuring tools and Enter places a point; + - zoom; Shift+arrows pan; E rotate; H, Y flip; I invert; "
      + "Page Up/Down, Home/End and (with window/level, pan or zoom) arrow Up/Down change image; C cine; A annotated; "
      + "R or 0 reset (clears measurements); F full screen; Esc leaves it."));

    ui.viewport = el("div", { class: "viewer__viewport", role: "img", "aria-label": frames[0].dataset.alt || "Image" });
    ui.cursor = el("div", { class: "viewer__cursor", hidden: "", "aria-hidden": "true" });
    var stage = root.querySelector(".viewer__stage");
    stage.appendChild(ui.viewport);
    stage.appendChild(ui.cursor);
    stage.insertAdjacentElement("beforebegin", bar);
    if (stack) stage.insertAdjacentElement("afterend", stack);
    var after = stack || stage;
    after.insertAdjacentElement("afterend", wl);
    wl.insertAdjacentElement("afterend", ui.readout);
    ui.readout.insertAdjacentElement("afterend", ui.measures);
    ui.measures.insertAdjacentElement("afterend", ui.help);
    root.appendChild(ui.status);
    ui.stage = stage;
    ui.img = root.querySelector(".viewer__img");
    return ui;
  }

  // ---------- one viewer ----------

  function init(root) {
    if (root.dataset.viewerReady) return;
    var frames = Array.prototype.slice.call(root.querySelectorAll(".viewer__frame"));
    if (!frames.length || !root.dataset.viewerBundle) return;
    root.dataset.viewerReady = "loading";
    if (!root.id) root.id = "viewer-x" + (++counter);
    root.tabIndex = 0;
    var ui = buildUi(root, frames);
    root.classList.add("viewer--ready");
    var v = {
      root: root, ui: ui, frames: frames, id: "vp-" + root.id, index: 0, tool: null,
      annotated: false, inverted: false, playing: false, pending: [], cursor: null,
      imageIds: frames.map(function (f) {
        return f.dataset.viewerSrc ? "tfv:" + f.dataset.viewerSrc : "tfimg:" + f.dataset.src;
      }),
      annotatedIds: frames.map(function (f) {
        return f.dataset.annotatedSrc ? "tfimg:" + f.dataset.annotatedSrc : null;
      }),
    };
    bindUi(v);
    loadBundle(root.dataset.viewerBundle).then(function (cs) { start(v, cs); }).catch(function (error) {
      root.dataset.viewerReady = "failed";
      ui.status.textContent = "The interactive viewer could not start; the image and its links still work.";
      if (window.console) console.error(error);
    });
  }

  function start(v, cs) {
    var core = cs.core, tools = cs.tools;
    v.cs = cs;
    cs.engine.enableElement({ viewportId: v.id, type: core.Enums.ViewportType.STACK, element: v.ui.viewport,
      defaultOptions: { background: [0, 0, 0] } });
    v.viewport = cs.engine.getViewport(v.id);
    viewers.set(v.id, v);
    var group = tools.ToolGroupManager.createToolGroup("tg-" + v.id);
    v.group = group;
    ["Pan", "Zoom", "WindowLevel", "StackScroll", "Length", "Angle", "EllipticalROI"].forEach(function (name) {
      group.addTool(name);
    });
    group.addViewport(v.id, cs.engine.id);
    var el = v.ui.viewport;
    el.addEventListener("contextmenu", function (e) { e.preventDefault(); });
    el.addEventListener(core.Enums.Events.VOI_MODIFIED, function () { syncVoi(v); });
    el.addEventListener(core.Enums.Events.STACK_NEW_IMAGE, function () { syncFrame(v); });
    el.addEventListener(core.Enums.Events.CAMERA_MODIFIED, function () { syncCamera(v); });
    el.addEventListener(core.Enums.Events.IMAGE_RENDERED, function () { scheduleMeasures(v); });
    // Drawing a measurement redraws only the annotation layer, which has its own event.
    el.addEventListener(tools.Enums.Events.ANNOTATION_RENDERED, function () { scheduleMeasures(v); });
    el.addEventListener("pointermove", function (e) { probeAt(v, canvasPoint(v, e)); });
    el.addEventListener("pointerleave", function () {
      if (v.tool !== "probe") v.ui.readout.textContent = "Point at the image for its value.";
    });
    new ResizeObserver(function () { cs.engine.resize(true, true); placeCursor(v); }).observe(v.ui.stage);

    v.viewport.setStack(currentIds(v), 0).then(function () {
      var facts = sources.get(v.viewport.getCurrentImageId());
      v.facts = facts;
      fillPresets(v, facts);
      setTool(v, facts && facts.modality !== "OT" && facts.samples === 1 ? "wl" : "pan");
      v.viewport.render();
      v.ui.img.hidden = true;
      v.root.classList.add("viewer--live");
      v.root.dataset.viewerReady = "true";
      syncVoi(v); syncFrame(v); syncCamera(v);
      // Prefetch the rest of the stack through Cornerstone's request pool.
      if (v.imageIds.length > 1) core.imageLoader.loadAndCacheImages(v.imageIds.slice(1));
    }).catch(function (error) {
      v.root.dataset.viewerReady = "failed";
      v.ui.status.textContent = "The image could not be loaded into the viewer.";
      if (window.console) console.error(error);
    });
  }

  function currentIds(v) {
    return v.imageIds.map(function (id, i) { return v.annotated && v.annotatedIds[i] ? v.annotatedIds[i] : id; });
  }

  function announce(v, text) { v.ui.status.textContent = text; }

  // ---------- state mirrored into the page ----------

  function syncVoi(v) {
    if (!v.viewport) return;
    var range = v.viewport.getProperties().voiRange;
    if (!range) return;
    var wl = v.cs.core.utilities.windowLevel.toWindowLevel(range.lower, range.upper);
    var c = round(wl.windowCenter), w = round(wl.windowWidth);
    v.root.dataset.windowCenter = String(c);
    v.root.dataset.windowWidth = String(w);
    if (document.activeElement !== v.ui.centre) v.ui.centre.value = String(c);
    if (document.activeElement !== v.ui.width) v.ui.width.value = String(w);
  }

  function syncFrame(v) {
    var i = v.viewport.getCurrentImageIdIndex();
    v.index = i;
    if (v.target === i) v.target = null;
    v.root.dataset.frame = String(i);
    v.frames.forEach(function (f, n) { f.classList.toggle("viewer__frame--current", n === i); });
    if (v.ui.slider) {
      v.ui.slider.value = String(i + 1);
      v.ui.indicator.textContent = (i + 1) + " / " + v.frames.length;
    }
    v.ui.viewport.setAttribute("aria-label", v.frames[i].dataset.alt || "Image");
    if (v.ui.annotated) v.ui.annotated.disabled = !v.annotatedIds[i];
    v.facts = sources.get(v.viewport.getCurrentImageId()) || v.facts;
    if (v.cursor) probeAt(v, null);
  }

  function syncCamera(v) {
    var p = v.viewport.getViewPresentation();
    var camera = v.viewport.getCamera();
    v.root.dataset.zoom = String(round((p.zoom || 1) * 100) / 100);
    v.root.dataset.rotation = String(Math.round(p.rotation || 0));
    v.root.dataset.flipH = String(!!camera.flipHorizontal);
    v.root.dataset.flipV = String(!!camera.flipVertical);
    placeCursor(v);
  }

  function round(x) { return Math.round(x * 10) / 10; }

  // ---------- window / level ----------

  function fillPresets(v, facts) {
    var list = [];
    (facts ? facts.windows : []).forEach(function (w, i) {
      list.push([i === 0 ? "Default (header)" : "Header " + (i + 1), w[0], w[1]]);
    });
    if (facts && facts.modality === "CT" && facts.samples === 1) list = list.concat(CT_PRESETS);
    v.presets = list.slice(0, 9);
    v.ui.presets.textContent = "";
    v.ui.presets.appendChild(el("option", { value: "" }, "Choose..."));
    v.presets.forEach(function (p, i) {
      v.ui.presets.appendChild(el("option", { value: String(i) }, (i + 1) + ": " + p[0] + " (" + p[1] + "/" + p[2] + ")"));
    });
  }

  function setWindow(v, centre, width) {
    if (!v.viewport || !isFinite(centre) || !isFinite(width) || width < 1) return;
    var range = v.cs.core.utilities.windowLevel.toLowHighRange(width, centre);
    v.viewport.setProperties({ voiRange: range });
    v.viewport.render();
    syncVoi(v);
  }

  function applyPreset(v, i) {
    var p = v.presets && v.presets[i];
    if (!p) return;
    setWindow(v, p[1], p[2]);
    v.ui.presets.value = String(i);
    announce(v, p[0] + " window " + p[1] + "/" + p[2]);
  }

  function nudgeWindow(v, dc, dw) {
    var c = parseFloat(v.root.dataset.windowCenter), w = parseFloat(v.root.dataset.windowWidth);
    var step = Math.max(1, Math.round(w / 20));
    setWindow(v, c + dc * step, Math.max(1, w + dw * step));
  }

  // ---------- tools ----------

  function setTool(v, mode) {
    if (!v.group) return;
    var E = v.cs.tools.Enums;
    var spec = TOOLS.filter(function (t) { return t[0] === mode; })[0];
    if (!spec || (mode === "scroll" && v.frames.length < 2)) return;
    var B = E.MouseBindings, wheel = { mouseButton: B.Wheel };
    // Cornerstone adds bindings to those a tool already has, so every tool is first made
    // passive with none, then given exactly its own: middle button pans, right zooms, the
    // wheel scrolls a stack (zooms a single image), the left button does the chosen tool.
    // On touch: one finger does the chosen tool, two pinch-zoom, three pan.
    var bindings = { Pan: [{ mouseButton: B.Auxiliary }, { numTouchPoints: 3 }],
      Zoom: [{ mouseButton: B.Secondary }, { numTouchPoints: 2 }],
      WindowLevel: [], StackScroll: [], Length: [], Angle: [], EllipticalROI: [] };
    (v.frames.length > 1 ? bindings.StackScroll : bindings.Zoom).push(wheel);
    if (spec[3]) bindings[spec[3]].push({ mouseButton: B.Primary }, { numTouchPoints: 1 });
    Object.keys(bindings).forEach(function (name) {
      v.group.setToolPassive(name, { removeAllBindings: true });
    });
    Object.keys(bindings).forEach(function (name) {
      if (bindings[name].length) v.group.setToolActive(name, { bindings: bindings[name] });
    });
    v.tool = mode;
    v.pending = [];
    v.root.dataset.tool = mode;
    Object.keys(v.ui.toolButtons).forEach(function (k) {
      v.ui.toolButtons[k].setAttribute("aria-pressed", String(k === mode));
    });
    var keyboardCursor = mode === "probe" || POINTS_NEEDED[mode];
    if (keyboardCursor && !v.cursor && v.facts) v.cursor = [Math.floor(v.facts.columns / 2), Math.floor(v.facts.rows / 2)];
    if (!keyboardCursor) v.cursor = null;
    placeCursor(v);
    if (v.cursor) probeAt(v, null);
    announce(v, spec[1] + " tool" + (POINTS_NEEDED[mode] ? ": arrows move the cursor, Enter places a point" : ""));
  }

  function canvasPoint(v, e) {
    var rect = v.ui.viewport.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  function imageToCanvas(v, ij) {
    var utils = v.cs.core.utilities;
    var world = utils.imageToWorldCoords(v.viewport.getCurrentImageId(), ij);
    return v.viewport.worldToCanvas(world);
  }

  function canvasToImage(v, point) {
    var utils = v.cs.core.utilities;
    return utils.worldToImageCoords(v.viewport.getCurrentImageId(), v.viewport.canvasToWorld(point));
  }

  // The value under the pointer (or the keyboard cursor when point is null), as text.
  function probeAt(v, point) {
    if (!v.viewport || !v.facts) return;
    var imageId = v.viewport.getCurrentImageId();
    var f = sources.get(imageId), image = v.cs.core.cache.getImage(imageId);
    var ij = point ? canvasToImage(v, point) : v.cursor;
    if (!ij || !f || !image) return;
    var pixels = image.getPixelData();
    var x = Math.round(ij[0]), y = Math.round(ij[1]);
    if (x < 0 || y < 0 || x >= f.columns || y >= f.rows) {
      v.ui.readout.textContent = "Outside the image.";
      return;
    }
    var at = y * f.columns + x, value;
    if (f.samples > 1) {
      value = "RGB " + pixels[at * 3] + ", " + pixels[at * 3 + 1] + ", " + pixels[at * 3 + 2];
    } else {
      var raw = pixels[at];
      value = (Number.isInteger(raw) ? String(raw) : raw.toFixed(1)) + (f.units ? " " + f.units : "");
    }
    v.ui.readout.textContent = value + " at x " + x + ", y " + y;
    v.root.dataset.probeValue = value;
  }

  function placeCursor(v) {
    if (!v.cursor || !v.viewport || !v.cs) { v.ui.cursor.hidden = true; return; }
    var c = imageToCanvas(v, v.cursor);
    v.ui.cursor.hidden = false;
    v.ui.cursor.style.transform = "translate(" + c[0] + "px, " + c[1] + "px)";
  }

  function moveCursor(v, dx, dy) {
    var f = v.facts;
    v.cursor = [Math.min(f.columns - 1, Math.max(0, v.cursor[0] + dx)), Math.min(f.rows - 1, Math.max(0, v.cursor[1] + dy))];
    placeCursor(v);
    probeAt(v, null);
  }

  // Keyboard measuring: points placed at the cursor become a Cornerstone annotation.
  function placePoint(v) {
    var need = POINTS_NEEDED[v.tool];
    if (!need) return;
    v.pending.push(v.cursor.slice());
    announce(v, "Point " + v.pending.length + " of " + need + " placed");
    if (v.pending.length < need) return;
    var utils = v.cs.core.utilities, imageId = v.viewport.getCurrentImageId();
    var world = function (ij) { return utils.imageToWorldCoords(imageId, ij); };
    var t = v.cs.tools, points;
    if (v.tool === "roi") {
      var a = v.pending[0], b = v.pending[1];
      var cx = (a[0] + b[0]) / 2, cy = (a[1] + b[1]) / 2;
      points = [[cx, Math.max(a[1], b[1])], [cx, Math.min(a[1], b[1])], [Math.min(a[0], b[0]), cy], [Math.max(a[0], b[0]), cy]].map(world);
      t.EllipticalROITool.hydrate(v.id, points);
    } else if (v.tool === "angle") {
      t.AngleTool.hydrate(v.id, v.pending.map(world));
    } else {
      t.LengthTool.hydrate(v.id, v.pending.map(world));
    }
    v.pending = [];
    v.viewport.render();
  }

  // ---------- measurements as text ----------

  function scheduleMeasures(v) {
    if (v.measureFrame) return;
    v.measureFrame = requestAnimationFrame(function () { v.measureFrame = 0; listMeasures(v); });
  }

  function annotationsOf(v) {
    var state = v.cs.tools.annotation.state, out = [];
    Object.keys(MEASURES).forEach(function (name) {
      (state.getAnnotations(name, v.ui.viewport) || []).forEach(function (a) { out.push(a); });
    });
    return out;
  }

  function dist(p, q) { return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]); }

  function listMeasures(v) {
    if (!v.viewport) return;
    var imageId = v.viewport.getCurrentImageId(), f = sources.get(imageId) || v.facts;
    var mm = !!(f && f.spacing), lines = [];
    annotationsOf(v).forEach(function (a) {
      var m = a.metadata || {}, pts = a.data.handles.points;
      if (m.referencedImageId && m.referencedImageId !== imageId) return;
      if (m.toolName === "Length" && pts.length === 2) {
        var d = dist(pts[0], pts[1]);
        lines.push(mm ? "Length: " + d.toFixed(1) + " mm" : "Length: " + d.toFixed(1) + " px (uncalibrated: no pixel spacing)");
      } else if (m.toolName === "Angle" && pts.length === 3) {
        var u = [0, 1, 2].map(function (k) { return pts[0][k] - pts[1][k]; });
        var w = [0, 1, 2].map(function (k) { return pts[2][k] - pts[1][k]; });
        var cos = (u[0] * w[0] + u[1] * w[1] + u[2] * w[2]) / (Math.hypot.apply(null, u) * Math.hypot.apply(null, w) || 1);
        lines.push("Angle: " + (Math.acos(Math.max(-1, Math.min(1, cos))) * 180 / Math.PI).toFixed(1) + "°");
      } else if (m.toolName === "EllipticalROI") {
        var stats = a.data.cachedStats || {}, s = stats[Object.keys(stats)[0]];
        if (!s || s.mean == null) return;
        var unit = f && f.units ? " " + f.units : "";
        lines.push("Ellipse: mean " + s.mean.toFixed(1) + unit + ", SD " + s.stdDev.toFixed(1) + unit + ", area "
          + s.area.toFixed(1) + (mm ? " mm²" : " px² (uncalibrated)"));
      }
    });
    var text = lines.join("\n");
    if (text === v.measureText) return;
    v.measureText = text;
    v.ui.measures.textContent = "";
    lines.forEach(function (line) { v.ui.measures.appendChild(el("li", null, line)); });
  }

  function clearMeasures(v) {
    var state = v.cs.tools.annotation.state;
    annotationsOf(v).forEach(function (a) { state.removeAnnotation(a.annotationUID); });
    v.pending = [];
    v.measureText = null;
    listMeasures(v);
  }

  // ---------- view actions ----------

  function act(v, action, extra) {
    if (action === "help") { v.ui.help.hidden = !v.ui.help.hidden; return; }
    if (action === "fullscreen") { toggleFullscreen(v); return; }
    if (!v.viewport) return;
    var vp = v.viewport, p;
    switch (action) {
      case "tool": setTool(v, extra); return;
      case "zoom-in": case "zoom-out":
        p = vp.getViewPresentation();
        vp.setViewPresentation({ zoom: Math.min(16, Math.max(0.25, (p.zoom || 1) * (action === "zoom-in" ? 1.25 : 0.8))) });
        break;
      case "rotate":
        p = vp.getViewPresentation();
        vp.setViewPresentation({ rotation: ((p.rotation || 0) + (extra === -1 ? 270 : 90)) % 360 });
        break;
      case "flip-h": vp.setCamera({ flipHorizontal: !vp.getCamera().flipHorizontal }); break;
      case "flip-v": vp.setCamera({ flipVertical: !vp.getCamera().flipVertical }); break;
      case "invert":
        v.inverted = !vp.getProperties().invert;
        vp.setProperties({ invert: v.inverted });
        v.root.dataset.inverted = String(v.inverted);
        v.root.querySelector("[data-action=invert]").setAttribute("aria-pressed", String(v.inverted));
        break;
      case "reset":
        stopCine(v);
        // resetCamera alone keeps rotation and flips on the CPU renderer: undo them first.
        var cam = vp.getCamera();
        if (cam.flipHorizontal || cam.flipVertical) vp.setCamera({ flipHorizontal: false, flipVertical: false });
        vp.setViewPresentation({ rotation: 0 });
        vp.resetCamera();
        vp.setViewPresentation({ zoom: 1, pan: [0, 0] });
        vp.resetProperties();
        v.inverted = false;
        v.root.dataset.inverted = "false";
        v.root.querySelector("[data-action=invert]").setAttribute("aria-pressed", "false");
        clearMeasures(v);
        if (v.presets && v.presets.length) applyPreset(v, 0);
        v.ui.presets.value = "";
        announce(v, "View reset; measurements cleared");
        break;
      case "prev": case "next": go(v, current(v) + (action === "next" ? 1 : -1)); return;
      case "cine": if (v.playing) stopCine(v); else playCine(v); return;
      case "annotated": toggleAnnotated(v); return;
      default: return;
    }
    vp.render();
    syncCamera(v);
  }

  // The slice asked for last: a key repeat faster than the frames land counts from it, so
  // every press moves on one slice rather than re-asking for the one on its way.
  function current(v) { return v.target != null ? v.target : v.index; }

  function go(v, i) {
    if (!v.viewport || v.frames.length < 2) return;
    var target = Math.max(0, Math.min(v.frames.length - 1, i));
    if (target === current(v)) return;
    v.target = target;
    v.viewport.setImageIdIndex(target).then(function () {
      if (v.target === target) v.target = null;
      announce(v, "Image " + (target + 1) + " of " + v.frames.length);
    });
  }

  function playCine(v) {
    var fps = Math.max(1, Math.min(60, parseInt(v.ui.fps.value, 10) || 15));
    v.cs.tools.utilities.cine.playClip(v.ui.viewport, { framesPerSecond: fps, loop: true });
    v.playing = true;
    v.root.dataset.playing = "true";
    v.ui.play.textContent = "Pause";
    v.ui.play.setAttribute("aria-pressed", "true");
  }

  function stopCine(v) {
    if (!v.playing) return;
    v.cs.tools.utilities.cine.stopClip(v.ui.viewport);
    v.playing = false;
    v.root.dataset.playing = "false";
    v.ui.play.textContent = "Play";
    v.ui.play.setAttribute("aria-pressed", "false");
  }

  function toggleAnnotated(v) {
    if (!v.ui.annotated || !v.annotatedIds[v.index]) return;
    v.annotated = !v.annotated;
    var props = v.viewport.getProperties();
    v.viewport.setStack(currentIds(v), v.index).then(function () {
      v.viewport.setProperties({ voiRange: props.voiRange, invert: props.invert });
      v.viewport.render();
      v.root.dataset.annotated = String(v.annotated);
      v.ui.annotated.setAttribute("aria-pressed", String(v.annotated));
      announce(v, v.annotated ? "Annotated image" : "Clean image");
    });
  }

  function toggleFullscreen(v) {
    var root = v.root;
    if (document.fullscreenElement === root) { document.exitFullscreen(); return; }
    if (root.classList.contains("viewer--fullscreen")) { setFull(v, false); return; }
    if (root.requestFullscreen) {
      root.requestFullscreen().then(function () { setFull(v, true); }, function () { setFull(v, true); });
    } else {
      setFull(v, true);
    }
  }

  function setFull(v, on) {
    v.root.classList.toggle("viewer--fullscreen", on);
    v.root.dataset.fullscreen = String(on);
    var b = v.root.querySelector("[data-action=fullscreen]");
    b.setAttribute("aria-pressed", String(on));
    if (v.cs) requestAnimationFrame(function () { v.cs.engine.resize(true, true); placeCursor(v); });
  }

  // ---------- events ----------

  function bindUi(v) {
    var root = v.root, ui = v.ui;
    root.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-action]");
      if (!b || !root.contains(b)) return;
      act(v, b.dataset.action, b.dataset.tool);
    });
    // Clicking the picture puts focus in the viewer, so its keys work straight away.
    ui.stage.addEventListener("pointerdown", function () { if (!root.contains(document.activeElement)) root.focus({ preventScroll: true }); });
    function typed() { setWindow(v, parseFloat(ui.centre.value), parseFloat(ui.width.value)); }
    ui.centre.addEventListener("change", typed);
    ui.width.addEventListener("change", typed);
    ui.centre.addEventListener("input", typed);
    ui.width.addEventListener("input", typed);
    ui.presets.addEventListener("change", function () { if (ui.presets.value !== "") applyPreset(v, parseInt(ui.presets.value, 10)); });
    if (ui.slider) ui.slider.addEventListener("input", function () { go(v, parseInt(ui.slider.value, 10) - 1); });
    if (ui.fps) ui.fps.addEventListener("change", function () { if (v.playing) { stopCine(v); playCine(v); } });
    root.addEventListener("keydown", function (e) { onKey(v, e); });
    document.addEventListener("fullscreenchange", function () {
      if (!document.fullscreenElement && root.classList.contains("viewer--fullscreen")) setFull(v, false);
    });
  }

  var KEY_TOOLS = {};
  TOOLS.forEach(function (t) { KEY_TOOLS[t[2].toLowerCase()] = t[0]; });

  function onKey(v, e) {
    // Keys typed in the viewer belong to it: the page (the exam's answer keys) never sees them.
    e.stopPropagation();
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target, inField = t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA";
    var k = e.key, lower = k.length === 1 ? k.toLowerCase() : k;
    if (k === "Escape") {
      // Browsers usually leave full screen on Esc themselves; where they pass it on, so do we.
      if (document.fullscreenElement === v.root) document.exitFullscreen();
      else if (v.root.classList.contains("viewer--fullscreen")) setFull(v, false);
      v.ui.help.hidden = true;
      v.pending = [];
      return;
    }
    if (inField) return;
    var cursorMode = !!v.cursor;
    var handled = true;
    if (/^[1-9]$/.test(k)) applyPreset(v, parseInt(k, 10) - 1);
    else if (k === "0" || lower === "r") act(v, "reset");
    else if (k === "+" || k === "=") act(v, "zoom-in");
    else if (k === "-" || k === "_") act(v, "zoom-out");
    else if (k === "[") nudgeWindow(v, 0, -1);
    else if (k === "]") nudgeWindow(v, 0, 1);
    else if (k === ",") nudgeWindow(v, -1, 0);
    else if (k === ".") nudgeWindow(v, 1, 0);
    else if (lower === "e") act(v, "rotate", e.shiftKey ? -1 : 1);
    else if (lower === "h") act(v, "flip-h");
    else if (lower === "y") act(v, "flip-v");
    else if (lower === "i") act(v, "invert");
    else if (lower === "f") act(v, "fullscreen");
    else if (lower === "a") act(v, "annotated");
    else if (lower === "c" && v.frames.length > 1) act(v, "cine");
    else if (k === "?") act(v, "help");
    else if (KEY_TOOLS[lower]) setTool(v, KEY_TOOLS[lower]);
    else if (k === "Enter" && POINTS_NEEDED[v.tool] && t === v.root) placePoint(v);
    else if (k.indexOf("Arrow") === 0 && e.shiftKey && !cursorMode) panBy(v, k);
    else if (k.indexOf("Arrow") === 0 && cursorMode) {
      var step = e.shiftKey ? 10 : 1;
      moveCursor(v, k === "ArrowLeft" ? -step : k === "ArrowRight" ? step : 0, k === "ArrowUp" ? -step : k === "ArrowDown" ? step : 0);
    } else if ((k === "ArrowUp" || k === "ArrowDown") && v.frames.length > 1) go(v, current(v) + (k === "ArrowDown" ? 1 : -1));
    else if ((k === "PageUp" || k === "PageDown") && v.frames.length > 1) go(v, current(v) + (k === "PageDown" ? 1 : -1));
    else if (k === "Home" && v.frames.length > 1) go(v, 0);
    else if (k === "End" && v.frames.length > 1) go(v, v.frames.length - 1);
    else handled = false;
    if (handled) e.preventDefault();
  }

  function panBy(v, key) {
    if (!v.viewport) return;
    var pan = v.viewport.getPan(), step = 20 / (v.viewport.getZoom() || 1);
    var dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
    var dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
    v.viewport.setPan([pan[0] + dx, pan[1] + dy]);
    v.viewport.render();
    syncCamera(v);
  }

  // Viewers whose markup an htmx swap removed give their viewport back.
  function forgetDetached() {
    viewers.forEach(function (v, id) {
      if (v.root.isConnected) return;
      stopCine(v);
      v.cs.tools.ToolGroupManager.destroyToolGroup("tg-" + id);
      v.cs.engine.disableElement(id);
      viewers.delete(id);
    });
  }

  function initAll(scope) {
    if (ready) ready.then(forgetDetached, function () {});
    (scope || document).querySelectorAll("[data-viewer]").forEach(init);
    if (scope && scope.matches && scope.matches("[data-viewer]")) init(scope);
  }

  window.TFViewer = {
    init: initAll,
    // For tests and the benchmark: where image pixel (x, y) of a viewer is on the page.
    imageToClient: function (root, x, y) {
      var v = viewers.get("vp-" + root.id);
      var c = imageToCanvas(v, [x, y]), rect = v.ui.viewport.getBoundingClientRect();
      return [rect.left + c[0], rect.top + c[1]];
    },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { initAll(); });
  else initAll();
  document.addEventListener("htmx:load", function (e) { initAll(e.target); });
})();
