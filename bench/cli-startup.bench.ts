/**
 * CLI start-up as whole processes: `dism-studio --help` and `dism-studio validate` on the production
 * template (test/fixtures/templates/pixel-barrel-nmf.template.yaml, a copy of ../shared's), against
 * a bare `node -e 0`. Target (issue 12): < 0.3 s for --help and validate. Runs alternate, several
 * times; the median and the best wall time are printed with the process's own CPU time (user +
 * system, from process.resourceUsage() at exit: what the start-up costs when the shared machine is
 * busy) and the load average.
 * BENCH_CLI=FILE: the cli.mjs of another build (e.g. an older commit's, for before/after figures).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// every process (the baseline too) writes its resource usage at exit
const hook = path.join(dir, 'usage-hook.mjs');
const usageFile = path.join(dir, 'usage.json');
writeFileSync(
  hook,
  "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify(process.resourceUsage())));\n",
);

const cases: [string, string[]][] = [
  ['node -e 0 (Node itself)', ['-e', '0']],
  ['dism-studio --help', [cli, '--help']],
  ['dism-studio validate <production template>', [cli, 'validate', template]],
];

const wall = cases.map(() => [] as number[]);
const cpu = cases.map(() => [] as number[]);
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
for (let r = 0; r < RUNS; r++) {
  cases.forEach(([label, args], i) => {
    const t0 = performance.now();
    const p = spawnSync(process.execPath, ['--import', hook, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      env: { ...process.env, BENCH_USAGE_FILE: usageFile },
    });
    wall[i].push((performance.now() - t0) / 1000);
    if (p.status !== 0) throw new Error(`${label} exited with ${p.status}: ${p.stderr}`);
    const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { userCPUTime: number; systemCPUTime: number };
    cpu[i].push((u.userCPUTime + u.systemCPUTime) / 1e6);
  });
}
rmSync(dir, { recursive: true, force: true });
console.log(`CLI bundle: ${cli}; ${RUNS} runs each, alternating; load average before ${loadBefore}, after ${load()}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
cases.forEach(([label], i) => {
  console.log(
    `  ${label.padEnd(44)} wall median ${median(wall[i]).toFixed(3)} s, best ${Math.min(...wall[i]).toFixed(3)} s; ` +
      `CPU median ${median(cpu[i]).toFixed(3)} s` +
      (i ? ' (target < 0.3 s)' : ''),
  );
});
