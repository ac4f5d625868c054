/**
 * Every filter of the public client's filter classes narrows the stand-in's lists exactly: for each
 * filter, the filtered list equals the unfiltered list filtered in the test (boundaries included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPRESS_2025F, PIXEL_BARREL_ME, startDialsStandIn, type DialsStandIn } from './dials-stand-in';
import { call, CLIENT_FILTERS, listAll } from './test-helpers';

let s: DialsStandIn;
beforeAll(async () => {
  s = await startDialsStandIn();
});
afterAll(() => s.close());

type Case = [query: Record<string, string | number | boolean>, pred: (r: any) => boolean];

/** Run each case: the server's result equals the full list filtered by `pred`, and is neither empty nor everything. */
async function check(resource: string, base: Record<string, string | number>, cases: Case[]): Promise<string[]> {
  const full = resource === 'mes' ? (await call(s, 'mes/')).json : (await listAll(s, resource, { ...base, page_size: 500 })).results;
  const tested: string[] = [];
  for (const [query, pred] of cases) {
    const got =
      resource === 'mes'
        ? (await call(s, 'mes/', { query })).json
        : (await listAll(s, resource, { ...base, ...query, page_size: 500 })).results;
    const want = full.filter(pred);
    expect(got, `${resource} ${JSON.stringify(query)}`).toEqual(want);
    expect(want.length, `${resource} ${JSON.stringify(query)} selects something`).toBeGreaterThan(0);
    expect(want.length, `${resource} ${JSON.stringify(query)} excludes something`).toBeLessThan(full.length);
    tested.push(...Object.keys(query));
  }
  return tested;
}

/** The client's filter names minus paging, with its misspelt ls_numbet__lte replaced by the name the server knows. */
const exceptPaging = (names: string[]) =>
  names.filter((n) => n !== 'next_token' && n !== 'page_size').map((n) => (n === 'ls_numbet__lte' ? 'ls_number__lte' : n));
const BPIX3 = `${PIXEL_BARREL_ME}3`;

describe('each client filter narrows correctly', () => {
  it('th2/ (LumisectionHistogram2DFilters)', async () => {
    const files = (await listAll(s, 'file-index', { page_size: 500 })).results;
    const lfn = new Map(files.map((f: any) => [f.file_id, f.logical_file_name]));
    const file = files.find(
      (f: any) => f.logical_file_name.includes('/398/102/') && f.file_id !== files[0].file_id && f.dataset_id === 15191836,
    );
    const fields = 'dataset_id,dataset,me,me_id,file_id,run_number,ls_number';
    const tested = await check('th2', { fields }, [
      [{ dataset_id: 14702 }, (r) => r.dataset_id === 14702],
      [{ file_id: file.file_id }, (r) => r.file_id === file.file_id],
      [{ run_number: 398102 }, (r) => r.run_number === 398102],
      [{ run_number__lte: 398100 }, (r) => r.run_number <= 398100],
      [{ run_number__gte: 398101 }, (r) => r.run_number >= 398101],
      [{ ls_number: 40 }, (r) => r.ls_number === 40],
      [{ ls_number__lte: 12 }, (r) => r.ls_number <= 12],
      [{ ls_number__gte: 170 }, (r) => r.ls_number >= 170],
      [{ me_id: 251 }, (r) => r.me_id === 251],
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset === EXPRESS_2025F],
      [{ dataset__regex: 'Run2025G' }, (r) => r.dataset.includes('Run2025G')],
      [{ logical_file_name: file.logical_file_name }, (r) => lfn.get(r.file_id) === file.logical_file_name],
      [{ logical_file_name__regex: '/398/101/' }, (r) => (lfn.get(r.file_id) as string).includes('/398/101/')],
      [{ me: BPIX3 }, (r) => r.me === BPIX3],
      [{ me__regex: 'PXLayer_[12]$' }, (r) => /PXLayer_[12]$/.test(r.me)],
      [{ run_number: 398100, me_id: 250, ls_number__gte: 50 }, (r) => r.run_number === 398100 && r.me_id === 250 && r.ls_number >= 50],
    ]);
    expect(new Set(tested)).toEqual(
      new Set(exceptPaging(CLIENT_FILTERS.LumisectionHistogram2DFilters).filter((f) => f !== 'entries__gte')),
    );
  });

  it('th2/ entries__gte includes a record whose entries equal the bound and drops the ones below', async () => {
    const base = { run_number: 398100, me_id: 250, fields: 'ls_number,entries' };
    const all = (await listAll(s, 'th2', { ...base, page_size: 100 })).results;
    const sorted = all.map((r: any) => r.entries).sort((a: number, b: number) => a - b);
    const bound = sorted[30];
    const got = (await listAll(s, 'th2', { ...base, entries__gte: bound, page_size: 100 })).results;
    expect(got).toEqual(all.filter((r: any) => r.entries >= bound));
    expect(got.some((r: any) => r.entries === bound)).toBe(true);
    expect(got.length).toBe(60 - 30);
  });

  it('th1/ (LumisectionHistogram1DFilters)', async () => {
    const tested = await check(
      'th1',
      { fields: 'dataset_id,dataset,me,me_id,file_id,run_number,ls_number,entries', run_number__lte: 398101 },
      [
        [{ me_id: 102 }, (r) => r.me_id === 102],
        [{ me: 'PixelPhase1/Tracks/PXBarrel/charge_PXLayer_2' }, (r) => r.me_id === 101],
        [{ me__regex: 'charge_PXLayer_3' }, (r) => r.me_id === 102],
        [{ ls_number__gte: 59 }, (r) => r.ls_number >= 59],
        [{ entries__gte: 30000 }, (r) => r.entries >= 30000],
      ],
    );
    expect(tested).toContain('entries__gte');
  });

  it('lumisection/ (LumisectionFilters)', async () => {
    const tested = await check('lumisection', {}, [
      [{ dataset_id: 14702 }, (r) => r.dataset_id === 14702],
      [{ run_number: 398101 }, (r) => r.run_number === 398101],
      [{ run_number__lte: 398012 }, (r) => r.run_number <= 398012],
      [{ run_number__gte: 398104 }, (r) => r.run_number >= 398104],
      [{ ls_number: 25 }, (r) => r.ls_number === 25],
      [{ ls_number__lte: 1 }, (r) => r.ls_number <= 1],
      [{ ls_number__gte: 60 }, (r) => r.ls_number >= 60],
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset === EXPRESS_2025F],
      [{ dataset__regex: '^/ZeroBias/' }, (r) => r.dataset.startsWith('/ZeroBias/')],
    ]);
    expect(new Set(tested)).toEqual(new Set(exceptPaging(CLIENT_FILTERS.LumisectionFilters)));
  });

  it("run/ (RunFilters, and the server's dataset_id__in)", async () => {
    const tested = await check('run', {}, [
      [{ dataset_id: 15191836 }, (r) => r.dataset_id === 15191836],
      [{ dataset_id__in: '14702,15230412' }, (r) => [14702, 15230412].includes(r.dataset_id)],
      [{ run_number: 398104 }, (r) => r.run_number === 398104],
      [{ run_number__lte: 398100 }, (r) => r.run_number <= 398100],
      [{ run_number__gte: 398108 }, (r) => r.run_number >= 398108],
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset === EXPRESS_2025F],
      [{ dataset__regex: 'PromptReco' }, (r) => r.dataset.includes('PromptReco')],
    ]);
    expect(new Set(exceptPaging(CLIENT_FILTERS.RunFilters)).size).toBe(new Set(tested.filter((t) => t !== 'dataset_id__in')).size);
  });

  it('dataset-index/ (DatasetIndexFilters)', async () => {
    const tested = await check('dataset-index', {}, [
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset === EXPRESS_2025F],
      [{ dataset__regex: '^/StreamExpress/.*2025F' }, (r) => /^\/StreamExpress\/.*2025F/.test(r.dataset)],
    ]);
    expect(new Set(tested)).toEqual(new Set(exceptPaging(CLIENT_FILTERS.DatasetIndexFilters)));
  });

  it('file-index/ (FileIndexFilters), min_size inclusive', async () => {
    const all = (await listAll(s, 'file-index', { page_size: 500 })).results;
    const size = all.map((f: any) => f.file_size).sort((a: number, b: number) => a - b)[5];
    const name = all[3].logical_file_name;
    const tested = await check('file-index', {}, [
      [{ dataset_id: 15191836 }, (r) => r.dataset_id === 15191836],
      [{ logical_file_name: name }, (r) => r.logical_file_name === name],
      [{ logical_file_name__regex: '^/store/express/' }, (r) => r.logical_file_name.startsWith('/store/express/')],
      [{ min_size: size }, (r) => r.file_size >= size],
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset === EXPRESS_2025F],
      [{ dataset__regex: 'ZeroBias' }, (r) => r.dataset.includes('ZeroBias')],
    ]);
    expect((await listAll(s, 'file-index', { status: 'FINISHED' })).results.length).toBe(all.length);
    expect((await listAll(s, 'file-index', { status: 'PENDING' })).results.length).toBe(0);
    expect(new Set([...tested, 'status'])).toEqual(new Set(exceptPaging(CLIENT_FILTERS.FileIndexFilters)));
  });

  it('ml-models-index/ (MLModelsIndexFilters)', async () => {
    const tested = await check('ml-models-index', {}, [
      [{ model_id: 21 }, (r) => r.model_id === 21],
      [{ model_id__in: '20,22' }, (r) => [20, 22].includes(r.model_id)],
      [{ filename: 'model_PixelNMF_BPix2-4_checkpoint_20250305.onnx' }, (r) => r.model_id === 20],
      [{ filename__regex: '20250610' }, (r) => r.model_id === 21],
      [{ target_me: `${PIXEL_BARREL_ME}1` }, (r) => r.model_id === 22],
      [{ target_me__regex: 'PXLayer_2$' }, (r) => r.target_me.endsWith('PXLayer_2')],
      [{ active: true }, (r) => r.active === true],
      [{ active: 'False' }, (r) => r.active === false],
    ]);
    expect(new Set(tested)).toEqual(new Set(exceptPaging(CLIENT_FILTERS.MLModelsIndexFilters)));
  });

  it('ml-bad-lumisection/ (MLBadLumisectionFilters)', async () => {
    const tested = await check('ml-bad-lumisection', {}, [
      [{ model_id: 21 }, (r) => r.model_id === 21],
      [{ model_id__in: '20' }, (r) => r.model_id === 20],
      [{ dataset_id: 15230412 }, (r) => r.dataset_id === 15230412],
      [{ dataset_id__in: '14702,15191836' }, (r) => [14702, 15191836].includes(r.dataset_id)],
      [{ dataset: EXPRESS_2025F }, (r) => r.dataset_id === 15191836],
      [{ dataset__regex: 'Run2025G' }, (r) => r.dataset_id === 15230412],
      [{ run_number: 398100 }, (r) => r.run_number === 398100],
      [{ run_number__in: '398101,398102' }, (r) => [398101, 398102].includes(r.run_number)],
      [{ ls_number: 7 }, (r) => r.ls_number === 7],
    ]);
    // every verdict is on the models' target ME (BPix2), so the ME filters select all or nothing
    const all = (await listAll(s, 'ml-bad-lumisection', { page_size: 500 })).results;
    expect(all.length).toBeGreaterThan(5);
    expect((await listAll(s, 'ml-bad-lumisection', { me_id: 250, page_size: 500 })).results).toEqual(all);
    expect((await listAll(s, 'ml-bad-lumisection', { me_id: 251 })).results).toEqual([]);
    expect((await listAll(s, 'ml-bad-lumisection', { me: `${PIXEL_BARREL_ME}2`, page_size: 500 })).results).toEqual(all);
    expect((await listAll(s, 'ml-bad-lumisection', { me__regex: 'PXLayer_3' })).results).toEqual([]);
    expect(new Set([...tested, 'me_id', 'me', 'me__regex'])).toEqual(new Set(exceptPaging(CLIENT_FILTERS.MLBadLumisectionFilters)));
  });

  it('mes/ (MEFilters)', async () => {
    const tested = await check('mes', {}, [
      [{ me: BPIX3 }, (r) => r.me === BPIX3],
      [{ me__regex: '^PixelPhase1/Tracks/' }, (r) => r.me.startsWith('PixelPhase1/Tracks/')],
      [{ dim: 2 }, (r) => r.dim === 2],
    ]);
    expect(new Set(tested)).toEqual(new Set(exceptPaging(CLIENT_FILTERS.MEFilters)));
  });
});

describe('what the server does with odd filter values', () => {
  it("ignores parameters it does not know, including the client's misspelt ls_numbet__lte", async () => {
    const plain = (await call(s, 'th2/', { query: { run_number: 398100, me_id: 250, fields: 'ls_number', page_size: 100 } })).json.results;
    const typo = (
      await call(s, 'th2/', {
        query: { run_number: 398100, me_id: 250, fields: 'ls_number', page_size: 100, ls_numbet__lte: 3, bogus: 'x' },
      })
    ).json.results;
    expect(typo).toEqual(plain);
    expect(plain.length).toBe(60);
  });

  it('an empty value is no filter; the last of repeated values wins', async () => {
    const r = await call(s, 'run/?run_number=&dataset_id=14702&dataset_id=15230412');
    expect(r.json.results.map((x: any) => x.run_number)).toEqual([398500]);
  });

  it("a value that is not a number is 400 with django-filter's message per parameter", async () => {
    const r = await call(s, 'th2/', { query: { run_number: 'abc', ls_number__gte: '1x', me_id: 250 } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ run_number: ['Enter a number.'], ls_number__gte: ['Enter a number.'] });
    expect((await call(s, 'run/', { query: { dataset_id__in: '1,x' } })).json).toEqual({ dataset_id__in: ['Enter a number.'] });
  });

  it('an invalid regular expression fails in the database: a 500 page', async () => {
    const r = await call(s, 'th2/', { query: { me__regex: '(' } });
    expect(r.status).toBe(500);
    expect(r.headers.get('content-type')).toContain('text/html');
  });

  it('active=maybe is no filter (NullBooleanField)', async () => {
    expect((await listAll(s, 'ml-models-index', { active: 'maybe' })).results.length).toBe(3);
  });
});
