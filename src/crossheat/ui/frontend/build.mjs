// `make assets` (npm ci, then this): bundles src/vendor.js into one browser script,
// ../static/vendor/cytoscape-elk.min.js (window.cytoscape, with the 'elk' layout), and
// copies the packages' licences beside it. The output is committed as package data, so
// neither pip install nor the tests need npm.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const out = new URL('../static/vendor/', import.meta.url);
mkdirSync(out, { recursive: true });

await build({
  entryPoints: ['src/vendor.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  legalComments: 'none',
  outfile: new URL('cytoscape-elk.min.js', out).pathname,
  logLevel: 'info',
});

const licences = [
  ['cytoscape', 'LICENSE'],
  ['cytoscape-elk', 'LICENSE'],
  ['elkjs', 'LICENSE.md'],
];
const versions = [];
for (const [name, file] of licences) {
  const pkg = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  copyFileSync(`node_modules/${name}/${file}`, new URL(`LICENSE.${name}`, out));
  versions.push(`${name} ${pkg.version} (${pkg.license})`);
}
writeFileSync(
  new URL('VERSIONS', out),
  `Bundled into cytoscape-elk.min.js by \`make assets\` from package-lock.json:\n` +
    versions.map((v) => `- ${v}\n`).join(''),
);
