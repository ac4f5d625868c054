import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../main';

const FIXTURE = 'test/fixtures/templates/pixel-barrel-nmf.template.yaml';
let dir: string;

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    signal: new AbortController().signal,
    cwd: dir,
    env: {},
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-cli-validate-'));
  await fs.copyFile(FIXTURE, path.join(dir, 'template.yaml'));
  await fs.mkdir(path.join(dir, 'mlserver-model'));
  await fs.writeFile(path.join(dir, 'mlserver-model', 'app.py'), 'class Handler(MLModel):\n    pass\n');
  await fs.writeFile(path.join(dir, 'mlserver-model', 'pixelnmf.joblib'), 'x');
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('dism-studio validate', () => {
  it('exits 0 on the production template (warnings allowed) and prints positions', async () => {
    const r = await cli('validate', 'template.yaml');
    expect(r.code).toBe(0);
    expect(r.out).toContain('template.yaml:111:21: warning: Legacy DataType "TYPE_INT32"');
    expect(r.out.split('\n').pop()).toBe('template.yaml: valid (17 warnings)');
  });

  it('--json prints exactly {valid, problems[{severity,message,detail?,path,line,column}]}', async () => {
    const r = await cli('validate', 'template.yaml', '--json');
    const json = JSON.parse(r.out);
    expect(Object.keys(json)).toEqual(['valid', 'problems']);
    expect(json.valid).toBe(true);
    expect(json.problems).toHaveLength(17);
    expect(Object.keys(json.problems[0])).toEqual(['severity', 'message', 'path', 'line', 'column']);
  });

  it("exits 1 with the UI's messages when invalid", async () => {
    const text = (await fs.readFile(FIXTURE, 'utf8')).replace('Name: pixel-barrel-nmf', 'Name: Pixel_NMF');
    await fs.writeFile(path.join(dir, 'template.yaml'), text);
    const r = await cli('validate', 'template.yaml', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect(json.valid).toBe(false);
    expect(json.problems[0]).toEqual({
      severity: 'error',
      message:
        "The Name must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (it becomes part of a Kubernetes service name).",
      detail:
        'DISM: String violates RFC 1123 subdomain naming conventions. Validation is done by ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      path: 'Resources.PixelNMF.Properties.Name',
      line: 11,
      column: 13,
    });
    const text2 = await cli('validate', 'template.yaml');
    expect(text2.out).toMatch(/template\.yaml: invalid: 1 error, 17 warnings$/);
    expect(text2.out).toContain(
      "template.yaml:11:13: error: The Name must be lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (it becomes part of a Kubernetes service name). [Resources.PixelNMF.Properties.Name]\n    DISM: String violates RFC 1123",
    );
  });

  it('reports a missing file and wrong usage', async () => {
    expect((await cli('validate', 'nope.yaml')).code).toBe(1);
    expect((await cli('validate')).code).toBe(2);
  });

  it('new-template writes a preset that validates cleanly, and refuses to overwrite', async () => {
    const r = await cli('new-template', 'pixel.yaml', '--preset', 'pixel-barrel-nmf', '--name', 'pixel-nmf-test');
    expect(r.code).toBe(0);
    const v = await cli('validate', 'pixel.yaml', '--json');
    expect(JSON.parse(v.out)).toEqual({ valid: true, problems: [] });
    expect((await cli('new-template', 'pixel.yaml', '--type', 'InferenceService::Tritonserver::ONNX')).code).toBe(1);
    expect((await cli('new-template', 'x.yaml', '--type', 'InferenceService::Foo::Bar')).code).toBe(2);
  });
});
