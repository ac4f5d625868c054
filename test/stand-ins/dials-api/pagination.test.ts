/**
 * Cursor pagination of the DIALS API stand-in: every record exactly once, in DIALS's order, with
 * `next`/`previous` links built like DRF's CursorPagination (`next_token`, sorted parameters), for
 * both ways a client can walk (re-send filters + next_token like cmsdials, or follow `next`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';
import { bulkRuns, DEFAULT_PAGE_SIZE, EXPRESS_2025F, MAX_PAGE_SIZE, startDialsStandIn, type DialsStandIn } from './dials-stand-in';
import { call, listAll } from './test-helpers';

let s: DialsStandIn;
beforeAll(async () => {
  // 10 000 extra LS (10 runs × 1000) for the scale test, on top of the seeded runs
  s = await startDialsStandIn({ extraRuns: bulkRuns(399000, 10, 1000) });
});
afterAll(() => s.close());

const KEY_FIELDS = 'dataset_id,run_number,ls_number,me_id';
const key = (r: any) => [r.dataset_id, r.run_number, r.ls_number, r.me_id].join(':');
const lexLess = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
};

/** Every (dataset, run, LS, ME) the seeded world has for TH2 MEs, from the world itself. */
function expectedTh2Keys(runsFrom: number, runsTo: number): string[] {
  const ws = s.state.workspace('tracker');
  const out: string[] = [];
  for (const d of [...ws.datasets].sort((a, b) => a.datasetId - b.datasetId)) {
    for (const r of d.runs) {
      if (r.run < runsFrom || r.run > runsTo) continue;
      const mes = s.state.mesInRun(ws, r, 2).map((m) => m.meId);
      for (let ls = 1; ls <= r.lsCount; ls++) for (const me of mes) out.push([d.datasetId, r.run, ls, me].join(':'));
    }
  }
  return out;
}

describe('walking all pages', () => {
  for (const pageSize of [1, 7, DEFAULT_PAGE_SIZE, 64]) {
    it(`th2/ with page_size=${pageSize} returns every record exactly once, in (dataset_id, run, LS, me_id) order`, async () => {
      const want = expectedTh2Keys(398000, 398101);
      const { results, pages } = await listAll(s, 'th2', { run_number__lte: 398101, fields: KEY_FIELDS, page_size: pageSize });
      expect(results.map(key)).toEqual(want);
      expect(pages).toBe(Math.max(1, Math.ceil(want.length / pageSize)));
      for (let i = 1; i < results.length; i++)
        expect(
          lexLess(
            key(results[i - 1])
              .split(':')
              .map(Number),
            key(results[i]).split(':').map(Number),
          ),
        ).toBe(true);
    });
  }

  it('following the `next` URL itself gives the same records as re-sending filters + next_token', async () => {
    const query = {
      dataset: EXPRESS_2025F,
      run_number__gte: 398100,
      run_number__lte: 398102,
      me__regex: 'PXLayer_[23]$',
      fields: KEY_FIELDS,
      page_size: 37,
    };
    const viaToken = await listAll(s, 'th2', query);
    const viaNext: any[] = [];
    let r = await call(s, 'th2/', { query });
    for (;;) {
      viaNext.push(...r.json.results);
      if (!r.json.next) break;
      r = await call(s, r.json.next);
    }
    expect(viaNext.map(key)).toEqual(viaToken.results.map(key));
    expect(viaNext.length).toBe(2 * (60 + 60 + 180));
  });

  it('10 000 LS × 3 MEs: 30 000 records, each exactly once (page_size 500, maps not drawn thanks to fields=)', async () => {
    const { results, pages } = await listAll(s, 'th2', {
      run_number__gte: 399000,
      me__regex: 'PXLayer_[234]$',
      fields: KEY_FIELDS,
      page_size: MAX_PAGE_SIZE,
    });
    expect(results.length).toBe(30000);
    expect(pages).toBe(60);
    expect(new Set(results.map(key)).size).toBe(30000);
    expect(results.map(key)).toEqual(expectedTh2Keys(399000, 399009).filter((k) => !k.endsWith(':248')));
  });

  it('a walk stopped after some pages resumes from the saved `next` without repeating or losing records', async () => {
    const query = { run_number: 398102, me_id: 250, fields: KEY_FIELDS, page_size: 25 };
    const first = await listAll(s, 'th2', query, { maxPages: 3 });
    expect(first.results.length).toBe(75);
    expect(first.next).not.toBeNull();
    const rest = await listAll(s, 'th2', query, { resumeFrom: first.next });
    const all = [...first.results, ...rest.results].map((r) => r.ls_number);
    expect(all).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
  });
});

describe('links and page sizes', () => {
  it("next_token is base64 of p=<json list of the last record's ordering values>; other parameters are kept, sorted", async () => {
    const r = await call(s, 'run/', { query: { page_size: 2, dataset__regex: 'Express' } });
    const next = new URL(r.json.next);
    expect(next.origin + next.pathname).toBe(`${s.apiUrl}run/`);
    expect([...next.searchParams.keys()]).toEqual(['dataset__regex', 'next_token', 'page_size']);
    const cursor = decodeCursor(next.searchParams.get('next_token')!);
    const last = r.json.results[1];
    expect(cursor).toEqual({ offset: 0, reverse: false, position: `["${last.dataset_id}", "${last.run_number}"]` });
    // the raw query is what Python's urlencode writes (quote_plus: '=' → %3D)
    expect(r.json.next).toMatch(/next_token=[A-Za-z0-9+/]+(%3D)*&page_size=2$/);
    expect(r.json.previous).toBeNull();
  });

  it('`previous` goes back exactly one page', async () => {
    const query = { run_number: 398100, me_id: 251, fields: KEY_FIELDS, page_size: 10 };
    const p1 = await call(s, 'th2/', { query });
    const p2 = await call(s, p1.json.next);
    const p3 = await call(s, p2.json.next);
    expect(decodeCursor(new URL(p3.json.previous).searchParams.get('next_token')!).reverse).toBe(true);
    const back = await call(s, p3.json.previous);
    expect(back.json.results.map(key)).toEqual(p2.json.results.map(key));
    const back2 = await call(s, back.json.previous);
    expect(back2.json.results.map(key)).toEqual(p1.json.results.map(key));
    expect(back2.json.previous).toBeNull();
    // and forward again from a reversed page
    expect((await call(s, back2.json.next)).json.results.map(key)).toEqual(p2.json.results.map(key));
  });

  it('page_size defaults to 10, is capped at 500, and falls back to 10 when not a positive integer', async () => {
    const n = async (page_size?: string) =>
      (await call(s, 'lumisection/', { query: page_size === undefined ? { run_number: 398102 } : { run_number: 398102, page_size } })).json
        .results.length;
    expect(await n()).toBe(10);
    expect(await n('180')).toBe(180);
    expect(await n('1')).toBe(1);
    expect(await n('0')).toBe(10);
    expect(await n('-5')).toBe(10);
    expect(await n('7.5')).toBe(10);
    expect(await n('abc')).toBe(10);
    const big = await call(s, 'lumisection/', { query: { run_number__gte: 399000, page_size: 501, fields: 'ls_number' } });
    expect(big.json.results.length).toBe(500);
  });

  it('the last page has next = null; an exact multiple of page_size ends without an empty page', async () => {
    const { results, pages } = await listAll(s, 'lumisection', { run_number: 398100, page_size: 20 });
    expect([results.length, pages]).toEqual([60, 3]);
  });

  it('a cursor that cannot be decoded is 404 {"detail": "Invalid cursor"}; a position that is not JSON is a 500', async () => {
    for (const bad of ['abc', 'cD0x=x', Buffer.from('o=-1').toString('base64'), Buffer.from('r=x').toString('base64'), 'cMOp']) {
      const r = await call(s, 'th2/', { query: { next_token: bad } });
      expect([bad, r.status, r.json]).toEqual([bad, 404, { detail: 'Invalid cursor' }]);
    }
    // Python's b64decode drops characters outside the alphabet: '!!!' is an empty cursor, i.e. the first page
    const first = await call(s, 'th2/', { query: { next_token: '!!!', fields: KEY_FIELDS } });
    expect([first.status, first.json.previous, key(first.json.results[0])]).toEqual([200, null, '14702:398011:1:248']);
    const notJson = await call(s, 'th2/', { query: { next_token: encodeCursor({ offset: 0, reverse: false, position: 'not json' }) } });
    expect(notJson.status).toBe(500);
    expect(notJson.text).toContain('Server Error (500)');
  });

  it('a position with fewer fields than the ordering compares on those fields only (DIALS zips them)', async () => {
    const token = encodeCursor({ offset: 0, reverse: false, position: '["15191836", "398101"]' });
    const r = await call(s, 'th2/', { query: { next_token: token, page_size: 1, fields: KEY_FIELDS } });
    expect(key(r.json.results[0])).toBe('15191836:398102:1:248');
  });

  it('offsets in a cursor skip that many records after the position', async () => {
    const token = encodeCursor({ offset: 3, reverse: false, position: '["15191836", "398100"]' });
    const r = await call(s, 'run/', { query: { next_token: token, page_size: 1 } });
    expect(r.json.results[0].run_number).toBe(398108);
  });
});
