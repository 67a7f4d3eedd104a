// `node bench/ab.mjs`: compares two configurations of the system on this machine, whose run-to-run
// noise is as large as most effects (±20 %): runs `bench/run.mjs` for A and for B alternately, N
// pairs, in the order A B, B A, A B, ... (so that a drift of the machine during the session weighs
// on both sides alike), then prints every run, each pair's B/A and the means, and writes
// bench/results/ab-<date>.json. Example, the listeners' niceness:
//   node bench/ab.mjs --pairs 3 --a="--listener-nice 10" --b="--listener-nice 0" -- --sites 10000 --skip-raw --skip-sweep
// (a side's arguments start with a dash, so they follow "=")
// Environment for one side: --a-env="BENCH_ENV_AUDIT_BATCH_SIZE=250 LOG_LEVEL=warn".
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../deploy/local/stack.mjs';

const { values: opt, positionals: common } = parseArgs({
  allowPositionals: true,
  options: {
    pairs: { type: 'string', default: '3' },
    a: { type: 'string', default: '' },
    b: { type: 'string', default: '' },
    'a-env': { type: 'string', default: '' },
    'b-env': { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(`node bench/ab.mjs [--pairs N] [--a "ARGS"] [--b "ARGS"] [--a-env "K=V ..."] [--b-env "K=V ..."] -- COMMON ARGS
  runs node bench/run.mjs COMMON ARGS + each side's ARGS and environment, alternately, N pairs (default 3)`);
  process.exit(0);
}
const PAIRS = Number(opt.pairs);
if (!Number.isInteger(PAIRS) || PAIRS < 1) throw new Error(`--pairs must be a positive integer, not "${opt.pairs}"`);

const words = (text) => text.split(/\s+/).filter(Boolean);
/** "K=V K2=V2" as an environment object; a word without "=" is a mistake worth stopping for. */
function envOf(text, flag) {
  return Object.fromEntries(
    words(text).map((word) => {
      const at = word.indexOf('=');
      if (at <= 0) throw new Error(`${flag}: "${word}" is not NAME=value`);
      return [word.slice(0, at), word.slice(at + 1)];
    }),
  );
}
const sides = {
  A: { args: words(opt.a), env: envOf(opt['a-env'], '--a-env') },
  B: { args: words(opt.b), env: envOf(opt['b-env'], '--b-env') },
};

/** The figures of one bench result that a comparison needs; undefined where the run skipped them. */
function figures(result) {
  return {
    caughtUp: result.throughput?.caughtUpPerSecond,
    frontDoor: result.frontDoor?.acceptedPerSecond,
    accepted: result.throughput?.acceptedPerSecond,
    cpuPerSite: result.machineCost?.machine?.cpuMs,
    switchesPerSite: result.machineCost?.machine?.switches,
    creationP99: result.creation?.p99,
    lifecycleP99: result.lifecycle?.p99,
    dispatchP99: result.dispatch?.p99,
    failed: (result.throughput?.errors ?? 0) + (result.creation?.errors ?? 0) + (result.lifecycle?.errors ?? 0),
  };
}

const LABELS = {
  caughtUp: ['caught up', '/s'],
  accepted: ['accepted', '/s'],
  frontDoor: ['front door alone, accepted', '/s'],
  cpuPerSite: ['machine CPU per site', ' ms'],
  switchesPerSite: ['switches per site', ''],
  creationP99: ['creation p99', ' ms'],
  lifecycleP99: ['lifecycle p99', ' ms'],
  dispatchP99: ['dispatch p99', ' ms'],
};

async function runOnce(side, scratch, index) {
  const out = join(scratch, `${side}-${index}.json`);
  const args = ['bench/run.mjs', ...common, ...sides[side].args, '--out', out];
  const started = new Date();
  const code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...sides[side].env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  const result = JSON.parse(await readFile(out, 'utf8').catch(() => 'null'));
  if (!result) throw new Error(`${side} run ${index}: bench/run.mjs exited ${code} without a result`);
  return { side, index, started: started.toISOString(), exitCode: code, code: result.code, ...figures(result) };
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const mean = (xs) => {
  const known = xs.filter(Number.isFinite);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
};

const scratch = join(tmpdir(), `chom-ab-${process.pid}`);
await mkdir(scratch, { recursive: true });
const runs = [];
try {
  for (let pair = 1; pair <= PAIRS; pair += 1) {
    for (const side of pair % 2 === 1 ? ['A', 'B'] : ['B', 'A']) {
      const run = await runOnce(side, scratch, pair);
      runs.push(run);
      console.log(
        `pair ${pair} ${side}: caught up ${fmt(run.caughtUp, 0)}/s, accepted ${fmt(run.accepted, 0)}/s, ` +
          `${fmt(run.cpuPerSite, 2)} ms CPU per site, exit ${run.exitCode}`,
      );
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const pairs = Array.from({ length: PAIRS }, (_, i) => ({
  a: runs.find((r) => r.side === 'A' && r.index === i + 1),
  b: runs.find((r) => r.side === 'B' && r.index === i + 1),
}));
const summary = Object.fromEntries(
  Object.keys(LABELS).map((key) => {
    const a = mean(pairs.map((p) => p.a?.[key]));
    const b = mean(pairs.map((p) => p.b?.[key]));
    const ratios = pairs.map((p) => (p.b?.[key] ?? NaN) / (p.a?.[key] ?? NaN));
    return [key, { a, b, ratio: b / a, pairRatios: ratios }];
  }),
);

console.log('');
console.log(`A: ${[...sides.A.args, ...words(opt['a-env'])].join(' ') || '(no extra arguments)'}`);
console.log(`B: ${[...sides.B.args, ...words(opt['b-env'])].join(' ') || '(no extra arguments)'}`);
console.log(`common: ${common.join(' ')}`);
for (const [key, [label, unit]] of Object.entries(LABELS)) {
  const s = summary[key];
  if (!Number.isFinite(s.a) && !Number.isFinite(s.b)) continue;
  const digits = key === 'cpuPerSite' ? 2 : key.endsWith('P99') ? 1 : 0;
  console.log(
    `${label.padEnd(22)} A ${pairs.map((p) => fmt(p.a?.[key], digits)).join(', ')} (mean ${fmt(s.a, digits)}${unit})` +
      `  B ${pairs.map((p) => fmt(p.b?.[key], digits)).join(', ')} (mean ${fmt(s.b, digits)}${unit})` +
      `  B/A per pair ${s.pairRatios.map((r) => fmt(r, 2)).join(', ')}, of the means ${fmt(s.ratio, 2)}`,
  );
}
const failed = runs.filter((r) => r.failed > 0 || r.exitCode !== 0);
if (failed.length)
  console.log(`runs with failed requests or a non-zero exit: ${failed.map((r) => `${r.side}${r.index}`).join(', ')}`);

const dir = join(ROOT, 'bench', 'results');
await mkdir(dir, { recursive: true });
const file = join(dir, `ab-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, `${JSON.stringify({ sides, common, runs, summary }, null, 2)}\n`);
console.log(`results: ${file}`);
process.exitCode = failed.length ? 1 : 0;
