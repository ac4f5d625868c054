/** The hand-run CLI of the DIALS API stand-in starts, serves, and stops on Ctrl-C. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = path.join(__dirname, 'run-stand-in.mjs');

describe('run-stand-in.mjs', () => {
  it('prints the URL and secret key, serves the seeded and bulk runs, exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [SCRIPT, '--quiet', '--bulk', '399000:2:10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (c) => (out += c));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c;
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m && out.includes('Ctrl-C')) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const key = /X-CLIENT-SECRET\): (\S+)/.exec(out)![1];
    const r = await fetch(`${url}api/v1/run/?run_number__gte=399000`, { headers: { 'X-CLIENT-SECRET': key } });
    expect((await r.json()).results.map((x: any) => [x.run_number, x.ls_count])).toEqual([
      [399000, 10],
      [399001, 10],
    ]);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });

  it('explains a malformed --bulk and exits 2', () => {
    const r = spawnSync(process.execPath, [SCRIPT, '--bulk', '399000x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--bulk wants FIRST_RUN:RUNS:LS_PER_RUN');
  });
});
