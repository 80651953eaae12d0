// The vendored Cornerstone3D bundle: the library itself, exposed to static/js/viewer.js as
// window.cornerstone3D once this file has run. No application code lives here.
import * as core from "@cornerstonejs/core";
import * as tools from "@cornerstonejs/tools";

window.cornerstone3D = { core, tools };
window.dispatchEvent(new Event("cornerstone3d:ready"));
