import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '@/backend/cli/main';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { describeSystemError, systemErrorReason } from '@/shared/api/system-errors';
import { serializeError } from '@/shared/api/errors';
import { unwritableDir } from '../helpers/unwritable';

let tmp: string;
let backend: Backend;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd: tmp,
    env: {},
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Node's own errno text ("EISDIR: illegal operation on a directory, read") must never reach the user. */
const RAW_ERRNO = /\bE[A-Z]{3,}\b:|illegal operation on a directory|no such file or directory, |permission denied, /;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-errno-'));
  await fs.mkdir(path.join(tmp, 'a-folder'));
  await fs.writeFile(path.join(tmp, 'a-folder', 'template.yaml'), 'Resources: {}\n');
  await fs.writeFile(path.join(tmp, 'plain-file'), 'x');
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: path.join(tmp, 'user'), pollEngine: false });
});
afterAll(async () => {
  await backend?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('operating-system errors in plain words', () => {
  it('names the action, the path, the reason and what to do', () => {
    const e = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR', syscall: 'read', path: '/p/t' });
    expect(describeSystemError(e)).toEqual({
      code: 'EISDIR',
      path: '/p/t',
      message: 'Cannot read /p/t: it is a folder, not a file. Give a file, not a folder.',
    });
    const m = Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open', path: '/sys/x' });
    expect(describeSystemError(m)?.message).toBe(
      'Cannot open /sys/x: permission denied. Check its permissions (ls -l) or choose another location.',
    );
    const r = Object.assign(new Error('x'), { code: 'ENOTDIR', syscall: 'rename', path: '/a', dest: '/b/c' });
    expect(describeSystemError(r)?.message).toBe('Cannot move /a to /b/c: a part of the path is a file, not a folder. Check the path.');
    expect(systemErrorReason(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('it does not exist');
    expect(describeSystemError(new Error('plain'))).toBeNull();
    expect(describeSystemError(Object.assign(new Error('x'), { code: 'TARGET_EXISTS' }))).toBeNull();
  });

  it('the API envelope carries the plain message and keeps the errno code', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT', syscall: 'open', path: '/x' });
    expect(serializeError(e)).toMatchObject({
      name: 'FileSystemError',
      code: 'ENOENT',
      message: 'Cannot open /x: it does not exist. Check the path.',
    });
  });

  it('validate on a folder says it is a folder and names the template inside', async () => {
    const r = await cli('validate', 'a-folder');
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(RAW_ERRNO);
    expect(r.err).toContain('is a folder, not a template file');
    expect(r.err).toContain(path.join('a-folder', 'template.yaml'));
  });

  it('template.validate through the API on a folder: plain message', async () => {
    const r = await backend.dispatch('template.validate', { projectDir: tmp, path: 'a-folder' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toMatch(RAW_ERRNO);
  });

  it('other commands: folders, missing and unwritable paths give plain messages', async () => {
    const cases: string[][] = [
      ['build-local', 'a-folder'],
      ['build-local', 'missing.yaml'],
      ['preview', '--preset', 'a-folder'],
      ['preview', '--preset', 'plain-file/preset.json'],
      ['infer', '--url', 'http://127.0.0.1:1', '--model', 'm', '--template', 'a-folder'],
      ['infer', '--url', 'http://127.0.0.1:1', '--model', 'm', '--template', 'a-folder/template.yaml', '--preview', 'a-folder'],
      ['new-template', path.join(await unwritableDir(), 'x.yaml'), '--preset', 'pixel-barrel-nmf'],
      ['new-template', 'plain-file/x.yaml', '--preset', 'pixel-barrel-nmf'],
    ];
    for (const argv of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).not.toBe(0);
      expect(`${r.out}\n${r.err}`, argv.join(' ')).not.toMatch(RAW_ERRNO);
    }
  });
});

describe('the CLI as a pipeline stage', () => {
  it('output whose reader has gone (`| true`, or `| head` after its lines) ends quietly, without an unhandled EPIPE', async () => {
    const { execFile } = await import('node:child_process');
    const bin = path.resolve('bin/dism-studio.mjs');
    const template = path.resolve('test/fixtures/templates/pixel-barrel-nmf.template.yaml');
    const errFile = path.join(tmp, 'stderr.txt');
    // `true` exits at once without reading: every line validate prints hits a closed pipe.
    const script = `"${process.execPath}" "${bin}" validate "${template}" 2>"${errFile}" | true`;
    await new Promise<void>((resolve, reject) => execFile('/bin/sh', ['-c', script], (e) => (e ? reject(e) : resolve())));
    expect(await fs.readFile(errFile, 'utf8')).toBe('');
  });
});
