import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATE_LIMITS } from '@/shared/template/limits';
import { TemplateValidator } from './template-validator';
import { manySmallResources } from '@/test/helpers/big-templates';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dism-validator-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('template validation thread', () => {
  it('answers with at most 200 problems and the total, and says the list was cut', async () => {
    // A generous time limit: this test is about the cut, and a loaded CI machine once took 30 s here.
    const v = new TemplateValidator({ timeoutMs: 300_000 });
    try {
      const r = await v.validate(dir, 'template.yaml', manySmallResources());
      expect(r.valid).toBe(false);
      expect(r.problems).toHaveLength(TEMPLATE_LIMITS.maxProblems);
      expect(r.problemsTotal).toBeGreaterThan(10_000);
      expect(r.notes).toContain(
        `Showing the first 200 of ${r.problemsTotal.toLocaleString('en-US')} problems (errors first). The list updates as you fix them.`,
      );
    } finally {
      await v.dispose();
    }
  }, 300_000);

  it('stops a check that overruns its time, says so, and answers the next one with a new thread', async () => {
    const v = new TemplateValidator({ timeoutMs: 1 });
    try {
      await expect(v.validate(dir, 'template.yaml', manySmallResources())).rejects.toMatchObject({
        code: 'VALIDATION_TIMEOUT',
        message:
          'Checking this template took longer than 0 s and was stopped. It is probably far larger or more deeply nested than a DISM template: check that this is the right file.',
      });
    } finally {
      await v.dispose();
    }
    const again = new TemplateValidator({ timeoutMs: 1 });
    const slow = again.validate(dir, 'template.yaml', manySmallResources());
    const next = again.validate(dir, 'template.yaml', 'TemplateFormatVersion: "2025-03-31"\n');
    await expect(slow).rejects.toMatchObject({ code: 'VALIDATION_TIMEOUT' });
    // The queued request runs on a fresh thread; 1 ms is too short for it too, but it gets its own answer.
    await expect(next).rejects.toMatchObject({ code: 'VALIDATION_TIMEOUT' });
    await again.dispose();
  });

  it('a check that needs more memory than the thread has is refused; the process lives on', async () => {
    const v = new TemplateValidator({ maxHeapMb: 24 });
    try {
      await expect(v.validate(dir, 'template.yaml', manySmallResources())).rejects.toMatchObject({
        code: 'VALIDATION_TOO_LARGE',
        message: expect.stringContaining('needed more than the 24 MB'),
      });
    } finally {
      await v.dispose();
    }
  });

  it('refuses a template file over the limit without reading it, and a folder with a plain message', async () => {
    const big = path.join(dir, 'big.template.yaml');
    writeFileSync(big, Buffer.alloc(TEMPLATE_LIMITS.maxChars * 4 + 1, 0x61));
    const v = new TemplateValidator();
    try {
      const r = await v.validate(dir, 'big.template.yaml');
      expect(r).toMatchObject({
        valid: false,
        problemsTotal: 1,
        problems: [{ rule: 'template-too-large', message: expect.stringMatching(/^This template is 4\.0 MB; /) }],
      });
      await expect(v.validate(path.dirname(dir), path.basename(dir))).rejects.toMatchObject({
        code: 'NOT_A_FILE',
        message: expect.stringContaining(`${dir} is a folder, not a template file.`),
      });
    } finally {
      await v.dispose();
    }
  });
});
