/**
 * The DIALS API stand-in serves records exactly in the shape the public client (cmsdials 1.5.0)
 * parses, with physically shaped, deterministic maps, and exact maps when a test injects them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '@/backend/pipeline/npy';
import { labelEdits } from '@/backend/demo/demo-labels';
import { rowsAt, moduleCols } from '@/backend/demo/synthetic-maps';
import { BARREL_ME_IDS, EXPRESS_2025F, startDialsStandIn, ZEROBIAS_2025F, type DialsStandIn } from './dials-stand-in';
import { call, listAll, rawGet, schemaProblems } from './test-helpers';

let s: DialsStandIn;
beforeAll(async () => {
  s = await startDialsStandIn();
});
afterAll(() => s.close());

const EXPRESS_ID = 15191836;

describe('records match the client models (client-models.json, cmsdials 1.5.0)', () => {
  const lists: Array<[string, Parameters<typeof schemaProblems>[0], Record<string, string | number>]> = [
    ['dataset-index', 'DatasetIndex', {}],
    ['file-index', 'FileIndex', { dataset_id: EXPRESS_ID }],
    ['run', 'Run', {}],
    ['lumisection', 'Lumisection', { run_number: 398100 }],
    ['th1', 'LumisectionHistogram1D', { run_number: 398100, ls_number__lte: 3 }],
    ['th2', 'LumisectionHistogram2D', { run_number: 398100, ls_number__lte: 2 }],
    ['ml-models-index', 'MLModelsIndex', {}],
    ['ml-bad-lumisection', 'MLBadLumisection', {}],
  ];
  for (const [resource, model, query] of lists) {
    it(`${resource}/ pages are {next, previous, results} of ${model} records`, async () => {
      const r = await call(s, `${resource}/`, { query: { ...query, page_size: 5 } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(schemaProblems('Paginated', r.json)).toEqual([]);
      expect(r.json.results.length).toBeGreaterThan(0);
      for (const rec of r.json.results) expect(schemaProblems(model, rec)).toEqual([]);
    });
  }

  it('mes/ is a plain JSON array of MonitoringElement (not paginated)', async () => {
    const r = await call(s, 'mes/');
    expect(Array.isArray(r.json)).toBe(true);
    for (const rec of r.json) expect(schemaProblems('MonitoringElement', rec)).toEqual([]);
    expect(r.json.map((m: any) => m.me_id)).toEqual([...r.json.map((m: any) => m.me_id)].sort((a, b) => a - b));
  });

  it('detail routes return the same record as the list', async () => {
    const [rec] = (await call(s, 'th2/', { query: { run_number: 398101, ls_number: 5, me_id: 251 } })).json.results;
    const one = await call(s, `th2/${rec.dataset_id}/${rec.run_number}/${rec.ls_number}/${rec.me_id}/`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(rec);
    expect(schemaProblems('LumisectionHistogram2D', one.json)).toEqual([]);
    const details: Array<[string, Parameters<typeof schemaProblems>[0]]> = [
      [`th1/${EXPRESS_ID}/398100/1/101/`, 'LumisectionHistogram1D'],
      [`lumisection/${EXPRESS_ID}/398100/1/`, 'Lumisection'],
      [`run/${EXPRESS_ID}/398100/`, 'Run'],
      [`dataset-index/${EXPRESS_ID}/`, 'DatasetIndex'],
      [`mes/250/`, 'MonitoringElement'],
      [`ml-models-index/21/`, 'MLModelsIndex'],
      [`ml-bad-lumisection/21/${EXPRESS_ID}/398100/7/250/`, 'MLBadLumisection'],
    ];
    for (const [p, model] of details) {
      const r = await call(s, p);
      expect(r.status, p).toBe(200);
      expect(schemaProblems(model, r.json), p).toEqual([]);
    }
    const file = (await call(s, 'file-index/', { query: { dataset_id: EXPRESS_ID, page_size: 1 } })).json.results[0];
    expect((await call(s, `file-index/${EXPRESS_ID}/${file.file_id}/`)).json).toEqual(file);
  });

  it('a missing object is DRF 404 "No <model> matches the given query."; an unknown path is Django\'s HTML 404', async () => {
    const r = await call(s, `th2/${EXPRESS_ID}/398100/61/250/`);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ detail: 'No TH2 matches the given query.' });
    expect((await call(s, 'dataset-index/1/')).json).toEqual({ detail: 'No DatasetIndex matches the given query.' });
    expect((await call(s, 'mes/abc/')).json).toEqual({ detail: 'Not found.' });
    const unknown = await call(s, 'th3/');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('text/html');
    // the client's dataset_index.get(dataset_id, file_id) builds a route the server does not have
    expect((await call(s, `dataset-index/${EXPRESS_ID}/123/`)).status).toBe(404);
  });

  it('fields= keeps only the named keys (DIALS FieldsFilterMixin)', async () => {
    const r = await call(s, 'th2/', { query: { run_number: 398100, page_size: 3, fields: 'run_number,ls_number,me_id' } });
    for (const rec of r.json.results) expect(Object.keys(rec)).toEqual(['run_number', 'ls_number', 'me_id']);
  });
});

describe('histogram content', () => {
  it('pixel barrel maps are y_bin × x_bin = 58/90/130 × 72 with the production axis ranges, entries = sum of bins', async () => {
    const expected: Record<number, [number, number]> = {
      [BARREL_ME_IDS.BPix2]: [58, 14.5],
      [BARREL_ME_IDS.BPix3]: [90, 22.5],
      [BARREL_ME_IDS.BPix4]: [130, 32.5],
    };
    const r = await call(s, 'th2/', { query: { dataset: EXPRESS_2025F, run_number: 398100, ls_number: 3, me__regex: 'PXLayer_[234]$' } });
    expect(r.json.results.map((x: any) => x.me_id)).toEqual([250, 251, 252]);
    for (const rec of r.json.results) {
      const [ny, ymax] = expected[rec.me_id];
      expect([rec.y_bin, rec.x_bin, rec.data.length, rec.data[0].length]).toEqual([ny, 72, ny, 72]);
      expect([rec.x_min, rec.x_max, rec.y_min, rec.y_max]).toEqual([-4.5, 4.5, -ymax, ymax]);
      expect(rec.entries).toBe(rec.data.flat().reduce((a: number, b: number) => a + b, 0));
      expect(rec.me).toBe(
        `PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${{ 250: 2, 251: 3, 252: 4 }[rec.me_id as 250]}`,
      );
    }
  });

  it('bins are written as Python floats (1523.0), the way DRF renders float arrays', async () => {
    const r = await call(s, `th2/${EXPRESS_ID}/398100/3/250/`);
    expect(r.text).toMatch(/"data":\[\[\d+\.0,/);
    expect(r.text).toContain('"x_min":-4.5');
    expect(r.text).toContain('"x_bin":72,');
  });

  it('the demo runs carry the demo labels: 398100 LS 7 (outage3) has its outage region empty in BPix2–4', async () => {
    for (const layer of ['BPix2', 'BPix3', 'BPix4'] as const) {
      const [edit] = labelEdits('outage3', layer);
      const sum = async (ls: number) => {
        const { data } = (await call(s, `th2/${EXPRESS_ID}/398100/${ls}/${BARREL_ME_IDS[layer]}/`)).json;
        let t = 0;
        for (let r = edit.region.r0; r < edit.region.r1; r++) for (let c = edit.region.c0; c < edit.region.c1; c++) t += data[r][c];
        return t;
      };
      expect(await sum(7), layer).toBe(0);
      expect(await sum(8), layer).toBeGreaterThan(1000);
    }
    // sanity of the helper the edit uses
    expect(rowsAt('BPix2', 0.25, 0.4)[0]).toBeLessThan(rowsAt('BPix2', 0.25, 0.4)[1]);
    expect(moduleCols(1, 3)).toEqual([8, 24]);
  });

  it('maps are deterministic for a seed and change with it', async () => {
    const other = await startDialsStandIn();
    const reseeded = await startDialsStandIn({ seed: 7 });
    try {
      const p = `th2/${EXPRESS_ID}/398102/40/251/`;
      const a = (await call(s, p)).json;
      expect((await call(other, p)).json).toEqual(a);
      const b = (await call(reseeded, p)).json;
      expect(b.data).not.toEqual(a.data);
      expect(b.data.length).toBe(a.data.length);
    } finally {
      await other.close();
      await reseeded.close();
    }
  });

  it('TH1 records are flat lists of x_bin values', async () => {
    const r = await call(s, `th1/${EXPRESS_ID}/398100/1/101/`);
    expect(r.json.data.length).toBe(r.json.x_bin);
    expect(r.json.entries).toBe(r.json.data.reduce((a: number, b: number) => a + b, 0));
  });
});

describe('injected maps are served bin for bin', () => {
  it('the PixelNMF reference maps (test/fixtures npy) come back exactly, through every page', async () => {
    const dir = path.join(__dirname, '../../fixtures/pixelnmf-reference/data');
    const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(path.join(dir, f))), f);
    const runs = npy('run_number.npy');
    const lumis = npy('ls_number.npy');
    const injected = await startDialsStandIn();
    try {
      for (const layer of ['BPix2', 'BPix3', 'BPix4'] as const) {
        const maps = npy(`raw_${layer}.npy`);
        injected.state.injectStack({
          dataset: ZEROBIAS_2025F,
          me: BARREL_ME_IDS[layer],
          runs: runs.data as ArrayLike<number>,
          lumis: lumis.data as ArrayLike<number>,
          maps: { shape: maps.shape, data: maps.data as ArrayLike<number> },
        });
        const { results, pages } = await listAll(injected, 'th2', { dataset: ZEROBIAS_2025F, me_id: BARREL_ME_IDS[layer], page_size: 5 });
        expect(pages).toBe(5);
        expect(results.length).toBe(runs.data.length);
        const [, ny, nx] = maps.shape;
        results.forEach((rec, i) => {
          expect([rec.run_number, rec.ls_number]).toEqual([Number(runs.data[i]), Number(lumis.data[i])]);
          const flat = rec.data.flat();
          expect(flat.length).toBe(ny * nx);
          const want = Array.from({ length: ny * nx }, (_, k) => Number(maps.data[i * ny * nx + k]));
          expect(flat).toEqual(want);
          expect(rec.entries).toBe(want.reduce((a, b) => a + b, 0));
        });
      }
      expect(injected.record('th2', [14702, 398012, 6, 250])!.entries).toBe(60867);
    } finally {
      await injected.close();
    }
  });

  it('a map of the wrong shape is refused with the expected shape in the message', () => {
    expect(() => s.state.inject({ dataset: EXPRESS_2025F, me: 250, run: 398100, ls: 1, data: [[1, 2, 3]] })).toThrow(
      /58 × 72 \(y_bin × x_bin\).*1 × 3/,
    );
  });
});

describe('transport', () => {
  it("gzip: true compresses JSON for clients that accept it, as production's nginx does; onRequest sees each request", async () => {
    const seen: string[] = [];
    const gz = await startDialsStandIn({ gzip: true, onRequest: (e) => seen.push(`${e.routeId} ${e.status}`) });
    try {
      const url = `${gz.apiUrl}th2/?run_number=398100&page_size=2`;
      const zipped = await rawGet(url, { 'X-CLIENT-SECRET': gz.secretKey, 'accept-encoding': 'gzip' });
      expect(zipped.complete).toBe(true);
      const r = await fetch(url, { headers: { 'X-CLIENT-SECRET': gz.secretKey } }); // fetch asks for and inflates gzip
      expect(r.headers.get('content-encoding')).toBe('gzip');
      const body = await r.json();
      expect(body.results.length).toBe(2);
      const plain = await rawGet(url, { 'X-CLIENT-SECRET': gz.secretKey });
      expect(JSON.parse(plain.received).results).toEqual(body.results);
      expect(zipped.received.length).toBeLessThan(plain.received.length / 2);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(['th2:list 200', 'th2:list 200', 'th2:list 200']);
    } finally {
      await gz.close();
    }
  });
});

describe('monitoring elements per run', () => {
  it('mes/{dataset_id}/{run}/ lists the MEs of the run; run 398104 has no BPix4 map', async () => {
    const all = await call(s, `mes/${EXPRESS_ID}/398100/`);
    expect(all.json.map((m: any) => m.me_id)).toEqual([101, 102, 248, 250, 251, 252]);
    expect(Object.keys(all.json[0])).toEqual(['me_id', 'me', 'dim']);
    const missing = await call(s, `mes/${EXPRESS_ID}/398104/`);
    expect(missing.json.map((m: any) => m.me_id)).toEqual([101, 102, 248, 250, 251]);
    expect((await call(s, 'th2/', { query: { run_number: 398104, me_id: 252 } })).json.results).toEqual([]);
    const lumi = (await call(s, `lumisection/${EXPRESS_ID}/398104/1/`)).json;
    expect([lumi.th1_count, lumi.th2_count]).toEqual([2, 3]);
  });
});
