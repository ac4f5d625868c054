import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DismApi } from '@/shared/api/client';

function apiWith(nativeClipboard: boolean) {
  const calls: Array<[string, unknown]> = [];
  const api = {
    invoke: async (method: string, input: unknown) => {
      calls.push([method, input]);
      return method === 'app.info' ? { nativeClipboard } : { copied: true };
    },
    on: () => () => undefined,
  } as unknown as DismApi;
  return { api, calls };
}

describe('copyText', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('the desktop app copies through its main process (the page has no clipboard permission)', async () => {
    const { copyText } = await import('./copy-text');
    const writeText = vi.fn();
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    const { api, calls } = apiWith(true);
    await copyText(api, 'hello');
    expect(calls).toEqual([
      ['app.info', {}],
      ['app.copyText', { text: 'hello' }],
    ]);
    expect(writeText).not.toHaveBeenCalled();
  });

  it('the browser host copies in the browser, never through the back end', async () => {
    const { copyText } = await import('./copy-text');
    const writeText = vi.fn(async () => undefined);
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    const { api, calls } = apiWith(false);
    await copyText(api, 'hello');
    expect(writeText).toHaveBeenCalledWith('hello');
    expect(calls.map((c) => c[0])).toEqual(['app.info']);
  });
});
