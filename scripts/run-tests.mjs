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
// Name every failed test last, so that the tail of a CI log says which ones failed and why.
const failures = [];
const firstLine = (text) =>
  String(text ?? '')
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '') // colour codes
    .split('\n')
    .find((l) => l.trim()) ?? '';
if (existsSync('test-results/vitest.json')) {
  const v = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  for (const file of v.testResults ?? [])
    for (const t of file.assertionResults ?? [])
      if (t.status === 'failed')
        failures.push(`unit  ${file.name.replace(process.cwd() + '/', '')} › ${t.fullName}\n        ${firstLine(t.failureMessages?.[0])}`);
}
if (existsSync('test-results/playwright.json')) {
  const p = JSON.parse(readFileSync('test-results/playwright.json', 'utf8'));
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? [])
      for (const test of spec.tests ?? [])
        if (test.status === 'unexpected' || test.status === 'flaky') {
          const error = test.results?.find((r) => r.status !== 'passed')?.error?.message;
          failures.push(
            `e2e   ${spec.file}:${spec.line} › ${[...titles, spec.title].join(' › ')} (${test.status})\n        ${firstLine(error)}`,
          );
        }
    for (const child of suite.suites ?? []) walk(child, child.title && !child.title.endsWith('.ts') ? [...titles, child.title] : titles);
  };
  for (const suite of p.suites ?? []) walk(suite, []);
}
for (const s of stages)
  if (!s.ok && !failures.some((f) => f.startsWith(s.name.padEnd(5))))
    failures.push(`${s.name.padEnd(5)} the stage failed without a failed test: see its output above (e.g. vitest's "Unhandled Errors")`);
if (failures.length) {
  console.log('\n━━ what failed');
  for (const f of failures) console.log(`  ${f.slice(0, 600)}`);
}
// A stage that failed without failing tests (type errors, lint) still counts as a failure.
const stageFailures = stages.filter((s) => !s.ok && !['unit', 'e2e'].includes(s.name)).length;
console.log('\n━━ stages');
for (const s of stages) console.log(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(10)} ${s.seconds.toFixed(1)} s`);
const testStagesFailedWithoutCount = stages.filter((s) => !s.ok && ['unit', 'e2e'].includes(s.name)).length > 0 && failed === 0;
const totalFailed = failed + stageFailures + (testStagesFailedWithoutCount ? 1 : 0);
console.log(`\ntests: ${passed} passed, ${totalFailed} failed, ${skipped} skipped`);
process.exit(stages.every((s) => s.ok) && totalFailed === 0 ? 0 : 1);
