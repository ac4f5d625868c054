import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@/backend/cli/main';

let tmp: string;
const out: string[] = [];
const err: string[] = [];
const io = () => ({
  out: (t: string) => out.push(t),
  err: (t: string) => err.push(t),
  signal: new AbortController().signal,
  cwd: tmp,
  env: process.env,
});

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-export-cli-'));
  await fs.mkdir(path.join(tmp, 'proj/.dism-artifacts/build/Res'), { recursive: true });
  await fs.writeFile(path.join(tmp, 'proj/.dism-artifacts/build/template.yaml'), 'Resources: {}\n');
  await fs.writeFile(path.join(tmp, 'proj/.dism-artifacts/build/Res/model.bin'), new Uint8Array(2048));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('dism-studio export', () => {
  it('exports, refuses to replace without --overwrite, replaces with it', async () => {
    expect(await runCli(['export', 'proj', '--to', 'out.tar.gz'], io())).toBe(0);
    expect(out.join('\n')).toMatch(/exported build \(2 files, 2\.\d kB\) to .*out\.tar\.gz/);
    const before = await fs.stat(path.join(tmp, 'out.tar.gz'));
    expect(await runCli(['export', 'proj', '--to', 'out.tar.gz'], io())).toBe(1);
    expect(err.join('\n')).toMatch(/out\.tar\.gz already exists \(an archive\)\. Nothing was written; add --overwrite/);
    expect((await fs.stat(path.join(tmp, 'out.tar.gz'))).mtimeMs).toBe(before.mtimeMs);
    out.length = 0;
    expect(await runCli(['export', 'proj', '--to', 'out.tar.gz', '--overwrite', '--json'], io())).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      format: 'tar.gz',
      replaced: true,
      manifest: { files: [{ path: 'build/Res/model.bin', size: 2048 }, { path: 'build/template.yaml' }] },
    });
  });

  it('explains wrong arguments', async () => {
    expect(await runCli(['export', 'proj'], io())).toBe(2);
    expect(await runCli(['export', 'proj', '--to', 'x.zip', '--parts', 'models'], io())).toBe(2);
    expect(err.join('\n')).toContain('Unknown part "models"');
    expect(await runCli(['export', 'proj', '--to', 'x.zip', '--parts', 'package'], io())).toBe(1);
    expect(err.join('\n')).toMatch(/No \.dism-artifacts\/package/);
  });
});
