#!/usr/bin/env node
// Summarises the V8 CPU profiles `npm run bench -- --profile DIR` writes: for each file, the share
// of samples by function (self time) and by package, so profiles of two runs can be compared as
// text. `node bench/profile-top.mjs [--top N] DIR/*.cpuprofile`
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt, positionals: files } = parseArgs({
  options: { top: { type: 'string', default: '15' } },
  allowPositionals: true,
});
if (files.length === 0) {
  console.log('node bench/profile-top.mjs [--top N] FILE.cpuprofile...');
  process.exit(1);
}

/** Where a sampled function lives: a package, a workspace of this repository, Node, or V8 itself. */
function packageOf(url) {
  if (url === '') return '(V8: idle, gc, native)';
  if (url.startsWith('node:')) return 'node:*';
  const dependency = url.split('node_modules/').at(-1);
  if (dependency !== url) {
    const parts = dependency.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const workspace = /\/(libs|services)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : 'other';
}

function share(counts, total, top) {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(6)} %  ${name}`);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map();
  const byPackage = new Map();
  for (const id of profile.samples) {
    const frame = nodes.get(id);
    const where = frame.url ? ` ${frame.url.split('/').slice(-3).join('/')}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + 1);
    const pkg = packageOf(frame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const top = Number(opt.top);
  console.log(`${basename(file)}: ${total} samples`);
  console.log(['  by function (self):', ...share(byFunction, total, top).map((l) => `  ${l}`)].join('\n'));
  console.log(['  by package:', ...share(byPackage, total, top).map((l) => `  ${l}`)].join('\n'));
}
