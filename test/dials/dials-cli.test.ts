import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoProject } from '@/backend/demo/demo-project';
import { runCli } from '@/backend/cli/main';
import { EXPRESS_2025F } from '../stand-ins/dials-api/world';
import { startDialsStandIn, type DialsStandIn } from '../stand-ins/dials-api/dials-stand-in';

/**
 * `dism-studio dials …` against the DIALS API stand-in: the built CLI for the fetch (with a client
 * secret in DIALS_TOKEN) followed by `preview` on the fetched data, and in-process for sign-in,
 * models, flags and the error messages.
 */

const run = promisify(execFile);
let dials: DialsStandIn;
let root: string;
let demo: string;

beforeAll(async () => {
  dials = await startDialsStandIn({ autoApproveAfterPolls: 1 });
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-dials-cli-'));
  demo = path.join(root, 'demo');
  await generateDemoProject(demo, { contributors: [] });
}, 300_000);

afterAll(async () => {
  await dials?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd: root,
    env: { DISM_STUDIO_USER_DATA: path.join(root, 'user-data'), ...env },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dism-studio dials', () => {
  it('fetch (built CLI, DIALS_TOKEN) writes into the project’s data/dials, and `preview` runs on it', async () => {
    const env = { ...process.env, DISM_STUDIO_USER_DATA: path.join(root, 'user-data'), DIALS_TOKEN: dials.secretKey };
    const { stdout, stderr } = await run(
      process.execPath,
      [
        'bin/dism-studio.mjs',
        'dials',
        'fetch',
        path.join(demo, 'template.yaml'),
        '--dataset',
        EXPRESS_2025F,
        '--runs',
        '398100-398101',
        '--instance',
        dials.url,
        '--json',
      ],
      { env, timeout: 120_000 },
    );
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ folder: path.join(demo, 'data', 'dials'), runsFetched: [398100, 398101], lumisections: 120 });
    expect(stderr).toMatch(/Maps: page \d+ of \d+/);
    for (const text of [stdout, stderr, await fs.readFile(path.join(demo, 'data', 'dials', 'dials-fetch.json'), 'utf8')])
      expect(text).not.toContain(dials.secretKey);
    // every request carried the secret as X-CLIENT-SECRET (redacted in the stand-in's log), none a bearer token
    const data = dials.requests.filter((r) => r.routeId === 'th2:list');
    expect(data.length).toBeGreaterThan(0);
    expect(data.every((r) => r.headers['x-client-secret'] === '[redacted]' && !r.headers.authorization)).toBe(true);

    const preview = await run(process.execPath, ['bin/dism-studio.mjs', 'preview', '--project', demo, '--json', '-'], {
      env,
      timeout: 180_000,
    });
    const p = JSON.parse(preview.stdout);
    expect(p.summary.lumisections).toBe(120);
    expect(p.summary.sources.every((s: string) => s.startsWith(path.join(demo, 'data', 'dials')))).toBe(true);
    const flagged = p.lumisections
      .filter((l: { flagged: boolean }) => l.flagged)
      .map((l: { run: number; ls: number }) => `${l.run}:${l.ls}`);
    // the demo model on the stand-in's maps flags the anomalies the demo placed there (labels of runs 398100/398101)
    for (const ls of ['398100:7', '398100:15', '398100:30', '398101:12', '398101:20']) expect(flagged).toContain(ls);
  }, 300_000);

  it('login (device flow), status and logout', async () => {
    const login = await cli(['dials', 'login', '--instance', dials.url, '--json']);
    expect(login.code).toBe(0);
    expect(login.err).toMatch(
      /Open this address in a browser, sign in and approve DISM Studio \(code [A-Z]{4}-[A-Z]{4}\):\n {2}http:\/\/127\.0\.0\.1:\d+\/auth\/realms\/cern\/device\?user_code=/,
    );
    expect(JSON.parse(login.out)).toMatchObject({ signedIn: true, user: 'Stand-in Physicist (standin)' });
    const files = await fs.readdir(path.join(root, 'user-data', 'dials', 'credentials'));
    expect(files).toHaveLength(1);
    const token = JSON.parse(await fs.readFile(path.join(root, 'user-data', 'dials', 'credentials', files[0]), 'utf8'));
    expect(login.out + login.err).not.toContain(token.accessToken);
    expect((await cli(['dials', 'status', '--instance', dials.url])).out).toContain('Signed in to http://127.0.0.1:');
    expect((await cli(['dials', 'logout', '--instance', dials.url])).out).toMatch(/^Signed out of .*: its cached tokens are deleted\.$/);
    const status = await cli(['dials', 'status', '--instance', dials.url, '--json']);
    expect([status.code, JSON.parse(status.out).signedIn]).toEqual([1, false]);
  }, 60_000);

  it('models and flags (--json OUT, never replacing a file without --overwrite)', async () => {
    const env = { DIALS_TOKEN: dials.secretKey };
    const models = await cli(['dials', 'models', '--instance', dials.url, '--json'], env);
    expect(JSON.parse(models.out).map((m: { modelId: number }) => m.modelId)).toEqual([20, 21, 22]);
    const flags = await cli(
      ['dials', 'flags', '--model', '21', '--runs', '398100-398101', '--dataset', EXPRESS_2025F, '--instance', dials.url, '--json', '-'],
      env,
    );
    expect(flags.code).toBe(0);
    expect(JSON.parse(flags.out).flagged.map((f: { run: number; ls: number }) => `${f.run}:${f.ls}`)).toEqual([
      '398100:7',
      '398100:15',
      '398100:22',
      '398100:30',
      '398101:12',
    ]);
    const out = path.join(root, 'flags.json');
    const args = ['dials', 'flags', '--model', '21', '--runs', '398100,398101', '--instance', dials.url, '--json', out];
    expect((await cli(args, env)).out).toContain(
      'Model 21 model_PixelNMF_BPix2-4_checkpoint_20250610.onnx (active): 5 flagged lumisection(s) in 2 run(s)',
    );
    expect(JSON.parse(flags.out).goldenJson['398101'][0]).toEqual([1, 11]);
    expect(
      (await cli(['dials', 'flags', '--model', '21', '--runs', '398101', '--dataset', EXPRESS_2025F, '--instance', dials.url], env)).out,
    ).toMatch(/^golden JSON \(good by this model\): \d+ lumisection\(s\) in 1 run\(s\)$/m);
    const again = await cli(args, env);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${out} already exists; add --overwrite to replace it. Nothing was written.`);
    expect((await cli([...args, '--overwrite'], env)).code).toBe(0);
  });

  it('says what to do: not signed in, bad runs, unknown ME', async () => {
    const template = path.join(demo, 'template.yaml');
    const notSigned = await cli([
      'dials',
      'fetch',
      template,
      '--dataset',
      EXPRESS_2025F,
      '--runs',
      '398100',
      '--instance',
      dials.url,
      '--out',
      path.join(root, 'x'),
    ]);
    expect(notSigned.code).toBe(1);
    expect(notSigned.err).toContain(`DialsError: You are not signed in to DIALS. Sign in to DIALS (${dials.url.replace(/\/$/, '')})`);
    expect(notSigned.err).toContain(`dism-studio dials login --instance ${dials.url.replace(/\/$/, '')}`);
    const badRuns = await cli(['dials', 'fetch', template, '--dataset', EXPRESS_2025F, '--runs', '398100-39810']);
    expect(badRuns.code).toBe(2);
    expect(badRuns.err).toContain('--runs: the range 398100-39810 ends before it starts; write 39810-398100');
    const badMe = await cli(['dials', 'fetch', template, '--dataset', EXPRESS_2025F, '--runs', '398100', '--me', 'PXLayer_2']);
    expect(badMe.code).toBe(1);
    expect(badMe.err).toContain('PXLayer_2 is not in the InputSignature of');
  });
});
