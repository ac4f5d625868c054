import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods, type MethodName } from '@/shared/api/contract';
import { createBackend, type Backend } from '@/backend/api/create-backend';
import { MAX_INPUT_DEPTH } from '@/backend/api/dispatcher';
import { TEMPLATE_LIMITS } from '@/shared/template/limits';

let backend: Backend;
let userData: string;

beforeAll(async () => {
  userData = mkdtempSync(path.join(os.tmpdir(), 'dism-contract-'));
  backend = await createBackend({ host: { kind: 'test' }, userDataDir: userData, pollEngine: false });
});
afterAll(async () => {
  await backend.dispose();
  rmSync(userData, { recursive: true, force: true });
});

const names = Object.keys(methods) as MethodName[];

describe('API contract', () => {
  it('has a description for every method', () => {
    for (const name of names) expect(methods[name].description, name).toBeTruthy();
  });

  it.each(names)('%s rejects a payload that is not an object with a SchemaError', async (name) => {
    const reply = await backend.dispatch(name, 42);
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.error.name).toBe('SchemaError');
      expect(reply.error.code).toBe('SCHEMA_INVALID');
      expect(reply.error.message).toContain(`Invalid payload for ${name}`);
    }
  });

  it.each(names)('%s rejects unknown fields (strict input schema)', async (name) => {
    const reply = await backend.dispatch(name, { __notInTheContract: true });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.name).toBe('SchemaError');
  });

  it('rejects an unknown method by name', async () => {
    const reply = await backend.dispatch('nope.nothing', {});
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD', message: 'Unknown API method: nope.nothing' } });
  });

  it('passes real errors across with their name and message', async () => {
    const reply = await backend.dispatch('projects.open', { dir: '/no/such/folder/here' });
    expect(reply).toMatchObject({ ok: false, error: { name: 'NotFoundError', message: 'Folder not found: /no/such/folder/here' } });
  });

  it('answers a valid call', async () => {
    const reply = await backend.dispatch('app.info', {});
    expect(reply).toMatchObject({ ok: true, result: { name: 'DISM Studio', host: 'test' } });
  });

  it(`refuses an input nested deeper than ${MAX_INPUT_DEPTH} levels before any schema or handler sees it`, async () => {
    // {dir: [[…]]}: the object is one level, each array one more.
    const nested = (depth: number) => ({ dir: JSON.parse(`${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`) });
    const atLimit = await backend.dispatch('fs.listDir', nested(MAX_INPUT_DEPTH));
    expect(atLimit).toMatchObject({ ok: false, error: { code: 'SCHEMA_INVALID' } });
    const over = await backend.dispatch('fs.listDir', nested(MAX_INPUT_DEPTH + 1));
    expect(over).toMatchObject({
      ok: false,
      error: {
        name: 'SchemaError',
        code: 'INPUT_TOO_DEEP',
        message: `Invalid payload for fs.listDir: the input is nested more than ${MAX_INPUT_DEPTH} levels deep, which no DISM Studio call needs.`,
      },
    });
    const veryDeep = await backend.dispatch('fs.listDir', nested(200_000));
    expect(veryDeep).toMatchObject({ ok: false, error: { code: 'INPUT_TOO_DEEP' } });
  });

  it(`takes template text up to ${TEMPLATE_LIMITS.maxChars} characters for saving and refuses more with a plain reason`, async () => {
    const project = path.join(userData, 'limit-project');
    const atLimit = await backend.dispatch('template.saveDraft', {
      projectDir: project,
      path: 'template.yaml',
      text: 'x'.repeat(TEMPLATE_LIMITS.maxChars),
      baseHash: null,
    });
    expect(atLimit).toMatchObject({ ok: true });
    const over = await backend.dispatch('template.saveDraft', {
      projectDir: project,
      path: 'template.yaml',
      text: 'x'.repeat(TEMPLATE_LIMITS.maxChars + 1),
      baseHash: null,
    });
    expect(over).toMatchObject({
      ok: false,
      error: {
        name: 'SchemaError',
        message: 'Invalid payload for template.saveDraft: text: the template is larger than 1 MB, the most DISM Studio checks and saves',
      },
    });
  });
});
