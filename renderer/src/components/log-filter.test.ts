import { describe, expect, it } from 'vitest';
import type { JobLogLine } from '@/shared/api/contract';
import { filterLog, splitMatches } from './log-filter';

const line = (seq: number, text: string, stream: JobLogLine['stream'] = 'stdout'): JobLogLine => ({
  jobId: 'j',
  seq,
  stream,
  text,
  ts: '',
});
const lines = [
  line(1, 'HTTP server running'),
  line(2, 'Loaded model x', 'stdout'),
  line(3, 'Traceback: boom', 'stderr'),
  line(4, 'loaded again'),
];

describe('log viewer filtering', () => {
  it('follows everything by default', () => {
    expect(filterLog(lines, { pausedAt: null, query: '', onlyMatches: false })).toEqual({ shown: lines, matches: 0, newWhilePaused: 0 });
  });
  it('freezes at the pause point and counts what arrived since', () => {
    const r = filterLog(lines, { pausedAt: 2, query: '', onlyMatches: false });
    expect(r.shown.map((l) => l.seq)).toEqual([1, 2]);
    expect(r.newWhilePaused).toBe(2);
  });
  it('searches case-insensitively, optionally showing only matching lines', () => {
    expect(filterLog(lines, { pausedAt: null, query: ' LOADED ', onlyMatches: false }).matches).toBe(2);
    expect(filterLog(lines, { pausedAt: null, query: 'loaded', onlyMatches: true }).shown.map((l) => l.seq)).toEqual([2, 4]);
    expect(filterLog(lines, { pausedAt: 3, query: 'loaded', onlyMatches: true }).shown.map((l) => l.seq)).toEqual([2]);
  });
  it('splits text around matches for highlighting', () => {
    expect(splitMatches('Loaded model, loaded', 'loaded')).toEqual(['', 'Loaded', ' model, ', 'loaded', '']);
    expect(splitMatches('abc', '')).toEqual(['abc']);
  });
});
