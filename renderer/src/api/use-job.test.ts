import { describe, expect, it, vi } from 'vitest';
import type { DismApi } from '@/shared/api/client';
import type { JobLogLine, JobSnapshotOf, ServerRun } from '@/shared/api/contract';
import { checkedEvents } from './create-api';
import { followJob, waitForJob, type KeptChunk } from './use-job';

/** A DismApi whose events the test emits and whose calls it answers when it wants. */
function fakeApi() {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: Array<{ method: string; input: unknown; resolve(v: unknown): void; reject(e: unknown): void }> = [];
  const api = {
    invoke: (method: string, input: unknown) => new Promise((resolve, reject) => calls.push({ method, input, resolve, reject })),
    on: (event: string, l: (p: unknown) => void) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(l);
      return () => listeners.get(event)!.delete(l);
    },
  } as unknown as DismApi;
  const emit = (event: string, payload: unknown) => [...(listeners.get(event) ?? [])].forEach((l) => l(payload));
  const answer = async (method: string, value: unknown) => {
    const c = calls.find((x) => x.method === method);
    if (!c) throw new Error(`no pending ${method} call (have: ${calls.map((x) => x.method).join(', ')})`);
    calls.splice(calls.indexOf(c), 1);
    c.resolve(value);
    await new Promise((r) => setTimeout(r, 0));
  };
  const fail = async (method: string, err: unknown) => {
    const c = calls.find((x) => x.method === method)!;
    calls.splice(calls.indexOf(c), 1);
    c.reject(err);
    await new Promise((r) => setTimeout(r, 0));
  };
  const listening = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);
  // The transport lost the back end and reached it again: events in between are gone.
  const reconnectListeners = new Set<() => void>();
  (api as { onReconnect?: DismApi['onReconnect'] }).onReconnect = (l) => {
    reconnectListeners.add(l);
    return () => reconnectListeners.delete(l);
  };
  const reconnect = () => [...reconnectListeners].forEach((l) => l());
  return { api, emit, answer, fail, calls, listening, reconnect, reconnectListeners };
}

const run: ServerRun = {
  id: 'j1',
  projectDir: '/p',
  templateFile: '/p/template.yaml',
  resourceKey: 'PixelNMF',
  modelName: 'm',
  framework: 'MLServer',
  image: 'img',
  imageSource: 'default',
  state: 'preparing',
  message: 'Preparing…',
  requestedPort: 8080,
  startedAt: '2025-01-01T00:00:00.000Z',
};
const snap = (state: JobSnapshotOf<'model-server'>['state'], message: string = state): JobSnapshotOf<'model-server'> => ({
  id: 'j1',
  kind: 'model-server',
  title: 'T',
  state,
  progress: null,
  message,
  startedAt: '2025-01-01T00:00:00.000Z',
});
const line = (seq: number): JobLogLine => ({ jobId: 'j1', seq, stream: 'stdout', text: `line ${seq}`, ts: '' });
const chunk = (seq: number, state: ServerRun['state']) => ({
  jobId: 'j1',
  seq,
  kind: 'model-server',
  data: { type: 'model-server', run: { ...run, state } },
});

describe('followJob', () => {
  it('subscribes first, then fetches: what happened before and what arrives meanwhile both count, once', async () => {
    const f = fakeApi();
    const lines: number[] = [];
    const chunks: Array<KeptChunk<'model-server'>> = [];
    const snapshots: string[] = [];
    followJob(
      f.api,
      'model-server',
      'j1',
      {
        snapshot: (s) => snapshots.push(s.message),
        lines: (ls) => lines.push(...ls.map((l) => l.seq)),
        chunks: (cs) => chunks.push(...cs),
      },
      async () => [{ seq: 0, data: { type: 'model-server', run } }],
    );
    expect(f.calls.map((c) => c.method).sort()).toEqual(['jobs.get', 'jobs.logs']);
    // live events before the fetches answer
    f.emit('job.log', line(3));
    f.emit('job.chunk', chunk(4, 'ready'));
    f.emit('job.log', { ...line(9), jobId: 'other' });
    await f.answer('jobs.logs', [line(1), line(2), line(3)]);
    expect(lines).toEqual([3, 1, 2]);
    expect(chunks.map((c) => [c.seq, c.data.run.state])).toEqual([
      [4, 'ready'],
      [0, 'preparing'],
    ]);
    // a live update arrived: the fetched snapshot (not newer) does not replace it
    f.emit('job.update', snap('running', 'live'));
    await f.answer('jobs.get', snap('running', 'fetched'));
    expect(snapshots).toEqual(['live']);
    f.emit('job.chunk', chunk(4, 'ready'));
    expect(chunks).toHaveLength(2);
  });

  it('takes the fetched snapshot when no update came, ignores events of another kind under its id, stops when told', async () => {
    const f = fakeApi();
    const seen: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const stop = followJob(f.api, 'model-server', 'j1', { snapshot: (s) => seen.push(`${s.kind}:${s.state}`) });
    expect(f.calls.map((c) => c.method)).toEqual(['jobs.get']);
    await f.answer('jobs.get', snap('succeeded'));
    f.emit('job.update', { ...snap('failed'), kind: 'export' });
    expect(seen).toEqual(['model-server:succeeded']);
    expect(error).toHaveBeenCalledWith('job j1: a snapshot of a export job, expected model-server');
    stop();
    expect(f.listening()).toBe(0);
    f.emit('job.update', snap('failed'));
    expect(seen).toEqual(['model-server:succeeded']);
    error.mockRestore();
  });
});

describe('followJob after a reconnect', () => {
  it('fetches the snapshot, log and chunks again: what happened during the gap is delivered once, newest last', async () => {
    const f = fakeApi();
    const lines: number[] = [];
    const chunks: Array<KeptChunk<'model-server'>> = [];
    const snapshots: string[] = [];
    let current: ServerRun['state'] = 'preparing';
    const stop = followJob(
      f.api,
      'model-server',
      'j1',
      {
        snapshot: (s) => snapshots.push(s.state),
        lines: (ls) => lines.push(...ls.map((l) => l.seq)),
        chunks: (cs) => chunks.push(...cs),
      },
      async () => [{ seq: 0, data: { type: 'model-server', run: { ...run, state: current } } }],
    );
    await f.answer('jobs.get', snap('running'));
    await f.answer('jobs.logs', [line(1)]);
    f.emit('job.chunk', chunk(1, 'starting'));
    f.emit('job.log', line(2));
    expect(chunks.map((c) => c.data.run.state)).toEqual(['preparing', 'starting']);

    // Gap: line 3, chunk 2 (ready) and the end of the job are never seen as events.
    current = 'ready';
    f.reconnect();
    expect(f.calls.map((c) => c.method).sort()).toEqual(['jobs.get', 'jobs.logs']);
    await f.answer('jobs.logs', [line(1), line(2), line(3)]);
    await f.answer('jobs.get', snap('succeeded'));
    expect(lines).toEqual([1, 2, 3]);
    expect(snapshots).toEqual(['running', 'succeeded']);
    // The refetched state counts as newer than every chunk seen before the gap.
    const last = chunks.at(-1)!;
    expect(last.data.run.state).toBe('ready');
    expect(last.seq).toBe(1);
    expect(chunks.filter((c) => c.data.run.state === 'ready')).toHaveLength(1);
    stop();
    expect(f.reconnectListeners.size).toBe(0);
  });

  it('a live update that arrives after the reconnect wins over the refetched snapshot', async () => {
    const f = fakeApi();
    const snapshots: string[] = [];
    followJob(f.api, 'model-server', 'j1', { snapshot: (s) => snapshots.push(s.message) });
    await f.answer('jobs.get', snap('running', 'first'));
    f.reconnect();
    f.emit('job.update', snap('running', 'live'));
    await f.answer('jobs.get', snap('running', 'refetched'));
    expect(snapshots).toEqual(['first', 'live']);
  });
});

describe('waitForJob', () => {
  it('resolves with the final snapshot and stops listening', async () => {
    const f = fakeApi();
    const done = waitForJob(f.api, 'model-server', 'j1');
    f.emit('job.update', snap('running'));
    await f.answer('jobs.get', snap('running'));
    f.emit('job.update', snap('cancelled'));
    await expect(done).resolves.toMatchObject({ state: 'cancelled' });
    expect(f.listening()).toBe(0);
  });

  it('a job that ended before we listened is seen through the fetch', async () => {
    const f = fakeApi();
    const done = waitForJob(f.api, 'model-server', 'j1');
    await f.answer('jobs.get', snap('succeeded'));
    await expect(done).resolves.toMatchObject({ state: 'succeeded' });
  });

  it('rejects when the back end does not know the job, or when aborted', async () => {
    const f = fakeApi();
    const lost = waitForJob(f.api, 'model-server', 'j1');
    const rejected = expect(lost).rejects.toThrow('No job with id j1');
    await f.fail('jobs.get', new Error('No job with id j1'));
    await rejected;
    const ctl = new AbortController();
    const aborted = waitForJob(f.api, 'model-server', 'j1', ctl.signal);
    ctl.abort(new Error('left the step'));
    await expect(aborted).rejects.toThrow('left the step');
    expect(f.listening()).toBe(0);
  });
});

describe('checkedEvents', () => {
  it('checks each event once against the contract, drops one that does not match, and passes the checked payload', () => {
    const f = fakeApi();
    const api = checkedEvents(f.api);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const offA = api.on('job.chunk', (c) => a.push(c));
    api.on('job.chunk', (c) => b.push(c));
    expect(f.listening()).toBe(1);
    f.emit('job.chunk', chunk(1, 'ready'));
    f.emit('job.chunk', chunk(2, 'sleeping' as ServerRun['state']));
    f.emit('job.chunk', { ...chunk(3, 'ready'), kind: 'export' });
    f.emit('job.chunk', { ...chunk(4, 'ready'), extra: 'not in the contract' });
    expect(a).toEqual([chunk(1, 'ready'), chunk(4, 'ready')]);
    expect(b).toEqual(a);
    expect(error).toHaveBeenCalledTimes(2);
    expect(String(error.mock.calls[0][0])).toBe('DISM Studio: dropped a job.chunk event that does not match the API contract');
    offA();
    f.emit('job.chunk', chunk(5, 'ready'));
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
    error.mockRestore();
  });
});
