import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { manySmallResources } from '../helpers/big-templates';
import { readTemplate } from '@/backend/build-local/template-source';
import { TEMPLATE_LIMITS } from '@/shared/template/limits';
import { callOnce, startServeProcess, type ServeProcess } from '../helpers/serve-process';

/**
 * template.validate on hostile input, through a real `npm run serve` process: clear answers, no
 * crash, no frozen server. Figures are printed (sizes, answer times), never asserted.
 */
let host: ServeProcess;
let project: string;

beforeAll(async () => {
  host = await startServeProcess();
  project = mkdtempSync(path.join(os.tmpdir(), 'dism-adversarial-'));
});
afterAll(async () => {
  await host?.stop();
  rmSync(project, { recursive: true, force: true });
});

async function validate(text: string) {
  const t0 = performance.now();
  const reply = await callOnce(host.port, host.token, 'template.validate', { projectDir: project, path: 'template.yaml', text });
  return { reply, ms: performance.now() - t0 };
}

const mb = (chars: number) => `${(chars / 1e6).toFixed(1)} MB`;

describe('template.validate on adversarial input', () => {
  it('100 000 nested [ three times: one clear problem, the server lives', async () => {
    const text = '['.repeat(100_000).repeat(3);
    const { reply, ms } = await validate(text);
    expect(reply).toMatchObject({
      ok: true,
      result: { valid: false, problemsTotal: 1, problems: [{ rule: 'template-too-deep', line: 1 }] },
    });
    console.log(`validate: ${mb(text.length)} of nested [ answered in ${ms.toFixed(0)} ms`);
    expect(host.alive()).toBe(true);
  });

  it('a 20 MB template with a million resources: "too large", not a frozen or dead server', async () => {
    let text = 'TemplateFormatVersion: "2025-03-31"\nDescription: x\nResources:\n';
    text += Array.from({ length: 1_000_000 }, (_, i) => `  R${i}: {Type: x}\n`).join('');
    expect(text.length).toBeGreaterThan(20e6);
    const { reply, ms } = await validate(text);
    expect(reply).toMatchObject({
      ok: true,
      result: {
        valid: false,
        problemsTotal: 1,
        problems: [
          {
            rule: 'template-too-large',
            message: expect.stringMatching(/^This template is \d\d\.\d MB; DISM Studio checks templates up to 1\.0 MB/),
          },
        ],
      },
    });
    console.log(`validate: ${mb(text.length)}, 1 000 000 resources answered in ${ms.toFixed(0)} ms`);
    expect(host.alive()).toBe(true);
  });

  it('while a large validation runs, another socket is answered first', async () => {
    const text = manySmallResources(TEMPLATE_LIMITS.maxChars);
    const order: string[] = [];
    const validator = new WebSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`);
    await new Promise((r) => validator.once('open', r));
    const t0 = performance.now();
    let validateMs = 0;
    const validated = new Promise<any>((resolve) => {
      validator.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.t !== 'reply') return;
        validateMs = performance.now() - t0;
        order.push('template.validate');
        resolve(m.reply);
      });
    });
    validator.send(
      JSON.stringify({ t: 'call', id: 1, method: 'template.validate', input: { projectDir: project, path: 'template.yaml', text } }),
    );
    await new Promise((r) => setTimeout(r, 100)); // the validation is under way
    const infoMs: number[] = [];
    for (let i = 0; i < 5 && order.length === 0; i++) {
      const t = performance.now();
      const info = await callOnce(host.port, host.token, 'app.info', {});
      infoMs.push(performance.now() - t);
      expect(info.ok).toBe(true);
      if (order.length === 0) order.push('app.info');
    }
    const reply = await validated;
    validator.close();
    expect(order[0]).toBe('app.info');
    expect(order).toContain('template.validate');
    expect(reply).toMatchObject({ ok: true, result: { valid: false, problems: expect.any(Array) } });
    expect(reply.result.problems).toHaveLength(TEMPLATE_LIMITS.maxProblems);
    expect(reply.result.problemsTotal).toBeGreaterThan(TEMPLATE_LIMITS.maxProblems);
    expect(reply.result.notes.join('\n')).toMatch(/Showing the first 200 of [\d,]+ problems/);
    console.log(
      `validate: ${mb(text.length)} (${text.split('\n  R').length - 1} resources, ${reply.result.problemsTotal} problems, 200 sent) answered in ${validateMs.toFixed(0)} ms; ` +
        `meanwhile app.info on another socket answered in ${infoMs.map((m) => m.toFixed(0)).join(', ')} ms`,
    );
  });

  it('a local build (and inference) refuses a template file far over the limit without reading it', async () => {
    const file = path.join(project, 'huge.template.yaml');
    writeFileSync(file, Buffer.alloc(TEMPLATE_LIMITS.maxChars * 4 + 1, 0x20));
    await expect(readTemplate(file)).rejects.toMatchObject({
      code: 'TEMPLATE_INVALID',
      message: `${file}: This template is 4.0 MB; DISM Studio checks templates up to 1.0 MB (a DISM template is usually a few kB). Check that this is the right file.`,
    });
  });
});
