// `npm test`: type-check, lint, build, unit tests (vitest), e2e (Playwright in Debian's Chromium).
// Runs every stage even after a failure, then prints one summary line that CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

mkdirSync('test-results', { recursive: true });
const stages = [];
const run = (name, cmd, args) => {
  console.log(`\n━━ ${name}: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' } });
  const ok = r.status === 0;
  stages.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  return ok;
};
const npx = (...a) => ['npx', ['--no-install', ...a]];

run('typecheck', ...npx('tsc', '-p', 'tsconfig.json', '--noEmit'));
run('lint', 'npm', ['run', '--silent', 'lint']); // eslint (layers included) and prettier --check
const built = run('build', 'npm', ['run', '--silent', 'build']);
run('unit', ...npx('vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'));
if (built) run('e2e', ...npx('playwright', 'test'));
else stages.push({ name: 'e2e', ok: false, seconds: 0 });

let passed = 0,
  failed = 0,
  skipped = 0;
if (existsSync('test-results/vitest.json')) {
  const v = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  passed += v.numPassedTests ?? 0;
  failed += v.numFailedTests ?? 0;
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
if (existsSync('test-results/playwright.json')) {
  const p = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'));
  passed += p.stats?.expected ?? 0;
  failed += (p.stats?.unexpected ?? 0) + (p.stats?.flaky ?? 0);
  skipped += p.stats?.skipped ?? 0;
}
// A stage that failed without failing tests (type errors, lint) still counts as a failure.
const stageFailures = stages.filter((s) => !s.ok && !['unit', 'e2e'].includes(s.name)).length;
console.log('\n━━ stages');
for (const s of stages) console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(10)} ${s.seconds.toFixed(1)} s`);
const testStagesFailedWithoutCount = stages.filter((s) => !s.ok && ['unit', 'e2e'].includes(s.name)).length > 0 && failed === 0;
const totalFailed = failed + stageFailures + (testStagesFailedWithoutCount ? 1 : 0);
console.log(`\ntests: ${passed} passed, ${totalFailed} failed, ${skipped} skipped`);
process.exit(stages.every((s) => s.ok) && totalFailed === 0 ? 0 : 1);
