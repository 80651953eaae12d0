// `make viewer`: bundle Cornerstone3D into static/vendor/ with its version in the name.
import { build } from "esbuild";
import { readFileSync, readdirSync, rmSync, writeFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";

const version = JSON.parse(
  readFileSync("node_modules/@cornerstonejs/core/package.json", "utf8"),
).version;
const vendor = "../static/vendor";
const out = `${vendor}/cornerstone3d-${version}.min.js`;

// Only one bundle is kept: older versions are removed so the committed tree holds one.
for (const name of readdirSync(vendor)) {
  if (/^cornerstone3d-.*(\.min\.js|\.min\.js\.LEGAL\.txt|\.LICENSE)$/.test(name) && !name.startsWith(`cornerstone3d-${version}.`)) {
    rmSync(`${vendor}/${name}`);
  }
}

// vtk.js ships XML readers that require Node's "events" and "url"; the viewer never
// reaches them, so they resolve to an empty module instead of failing the browser build.
const nodeOnly = {
  name: "node-only",
  setup(b) {
    b.onResolve({ filter: /^(events|url)$/ }, (args) => ({ path: args.path, namespace: "node-only" }));
    b.onLoad({ filter: /.*/, namespace: "node-only" }, (args) => ({
      // Their module bodies run at load (a class extends EventEmitter), so the stand-ins
      // must have the right shape even though nothing calls them.
      contents: args.path === "events"
        ? "class EventEmitter { on() { return this; } once() { return this; } off() { return this; } emit() { return false; } }\n"
          + "module.exports = EventEmitter; module.exports.EventEmitter = EventEmitter;"
        : "module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };",
    }));
  },
};

// The one inline style attribute Cornerstone writes (measurement text boxes) would be
// refused under the site's `style-src 'self'`; the same declarations set through the
// CSSOM are allowed, so the statement is rewritten at build time. The build fails if the
// source changes shape, rather than shipping a bundle that trips the CSP.
const cspStyle = {
  name: "csp-style",
  setup(b) {
    b.onLoad({ filter: /drawingSvg[\\/]drawTextBox\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const before = "textElement.setAttribute('style', combinedStyle);";
      if (!source.includes(before)) throw new Error(`drawTextBox.js changed: review ${args.path}`);
      return { contents: source.replace(before, "textElement.style.cssText = combinedStyle;"), loader: "js" };
    });
  },
};

await build({
  plugins: [nodeOnly, cspStyle],
  entryPoints: ["src/index.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: out,
  legalComments: "external",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

// Licences of the main bundled packages beside the bundle (the rest are in .LEGAL.txt).
const licences = ["@cornerstonejs/core", "@cornerstonejs/tools", "@kitware/vtk.js"].map((name) => {
  const dir = `node_modules/${name}`;
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8"));
  const text = file ? readFileSync(`${dir}/${file}`, "utf8") : `Licence: ${pkg.license}\n`;
  return `== ${name} ${pkg.version} ==\n\n${text}`;
});
writeFileSync(`${vendor}/cornerstone3d-${version}.LICENSE`, licences.join("\n"));

const bytes = readFileSync(out);
const size = { version, file: out.replace("../", ""), bytes: statSync(out).size, gzip: gzipSync(bytes, { level: 9 }).length };
writeFileSync("build-size.json", JSON.stringify(size, null, 2) + "\n");
console.log(`${size.file}: ${(size.bytes / 1e6).toFixed(2)} MB, ${(size.gzip / 1e6).toFixed(2)} MB gzipped`);
