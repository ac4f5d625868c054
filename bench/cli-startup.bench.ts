/**
 * CLI start-up as whole processes: `dism-studio --help` and `dism-studio validate` on the production
 * template (test/fixtures/templates/pixel-barrel-nmf.template.yaml, a copy of ../shared's), against
 * a bare `node -e 0`. Target (issue 12): < 0.3 s for --help and validate. Runs alternate, several
 * times; the median and the best are printed with the load average (the machine is shared).
 * BENCH_CLI=FILE: the cli.mjs of another build (e.g. an older commit's, for before/after figures).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = path.resolve(process.env.BENCH_CLI ?? 'dist/node/cli.mjs');
const RUNS = Number(process.env.CLI_STARTUP_RUNS ?? 15);
// the production template in a project folder with the model folder it names (as validate.test.ts sets it up): valid, 17 warnings
const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-startup-bench-'));
const template = path.join(dir, 'template.yaml');
copyFileSync('test/fixtures/templates/pixel-barrel-nmf.template.yaml', template);
mkdirSync(path.join(dir, 'mlserver-model'));
writeFileSync(path.join(dir, 'mlserver-model', 'app.py'), 'class Handler(MLModel):\n    pass\n');
writeFileSync(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'x');

const cases: [string, string[], number[]][] = [
  ['node -e 0 (Node itself)', ['-e', '0'], [0]],
  ['dism-studio --help', [cli, '--help'], [0]],
  ['dism-studio validate <production template>', [cli, 'validate', template], [0]],
];

const times = cases.map(() => [] as number[]);
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
for (let r = 0; r < RUNS; r++) {
  cases.forEach(([label, args, okCodes], i) => {
    const t0 = performance.now();
    const p = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    times[i].push((performance.now() - t0) / 1000);
    if (!okCodes.includes(p.status ?? -1)) throw new Error(`${label} exited with ${p.status}: ${p.stderr}`);
    if (i === 2 && r === 0) console.log(`validate: exit ${p.status}`);
  });
}
rmSync(dir, { recursive: true, force: true });
console.log(`CLI bundle: ${cli}; ${RUNS} runs each, alternating; load average before ${loadBefore}, after ${load()}`);
cases.forEach(([label], i) => {
  const s = [...times[i]].sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(44)} median ${s[Math.floor(s.length / 2)].toFixed(3)} s, best ${s[0].toFixed(3)} s` + (i ? ' (target < 0.3 s)' : ''),
  );
});
