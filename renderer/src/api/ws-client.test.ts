import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebSocketApi } from './ws-client';

/** A WebSocket the test opens and drops. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  constructor(public url: string) {
    FakeSocket.all.push(this);
  }
  send() {}
  open() {
    this.onopen?.();
  }
  drop() {
    this.onclose?.();
  }
}

describe('the browser host transport', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    FakeSocket.all = [];
  });

  it('tells its followers when it is back after a drop (not on the first connection)', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('location', { protocol: 'http:', host: '127.0.0.1:8765' });
    const states: boolean[] = [];
    const api = createWebSocketApi((c) => states.push(c));
    const reconnects = vi.fn();
    const off = api.onReconnect!(reconnects);
    FakeSocket.all[0].open();
    expect(reconnects).not.toHaveBeenCalled();
    FakeSocket.all[0].drop();
    await vi.advanceTimersByTimeAsync(300);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1].open();
    expect(reconnects).toHaveBeenCalledTimes(1);
    expect(states).toEqual([true, false, true]);
    off();
    FakeSocket.all[1].drop();
    await vi.advanceTimersByTimeAsync(600);
    FakeSocket.all[2].open();
    expect(reconnects).toHaveBeenCalledTimes(1);
  });
});
