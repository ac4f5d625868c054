/**
 * The OMS proxy (OMS's JSON:API documents with the lumisection attributes and HLT rates the pixel
 * preset's filters need) and DIALS's production verdicts (ML model index, bad lumisections, cert and
 * golden JSON), consistent with the lumisection conditions behind the maps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '@/backend/demo/demo-labels';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { PIXEL_MODEL_ID, PIXEL_MODEL_OLD_ID, PRODUCTION_DISAGREEMENTS, startDialsStandIn, type DialsStandIn } from './dials-stand-in';
import { call, listAll } from './test-helpers';

let s: DialsStandIn;
beforeAll(async () => {
  s = await startDialsStandIn();
});
afterAll(() => s.close());

/** An OMS query through the proxy the way cmsdials' OMSProxyClient.query builds it. */
async function oms(
  endpoint: string,
  filters: Array<[string, string, string | number]>,
  pages: Array<[string, number]> = [],
  extra: Record<string, string> = {},
) {
  const query: Record<string, string> = { endpoint, ...extra };
  for (const [attr, op, v] of filters) query[`filter[${attr}][${op}]`] = String(v);
  for (const [attr, v] of pages) query[`page[${attr}]`] = String(v);
  return call(s, 'oms-proxy/', { query });
}

const EXPRESS_ID = 15191836;

describe('OMS proxy', () => {
  it('lumisections: one document per LS with every attribute the pixel preset filters on', async () => {
    const r = await oms('lumisections', [['run_number', 'EQ', 398101]], [['limit', 5000]]);
    expect(r.status).toBe(200);
    expect(r.json.meta.totalResourceCount).toBe(60);
    expect(r.json.data.length).toBe(60);
    const first = r.json.data[0];
    expect([first.id, first.type]).toEqual(['398101_1', 'lumisections']);
    expect(first.links.self).toBe('https://cmsoms.cern.ch/agg/api/v1/lumisections/398101_1');
    const need = ['run_number', 'lumisection_number', 'pileup', ...pixelBarrelPreset().filters.omsBooleans];
    for (const d of r.json.data) for (const k of need) expect(d.attributes, k).toHaveProperty(k);
    const at = (ls: number) => r.json.data[ls - 1].attributes;
    expect(at(52).beams_stable).toBe(false); // beams_not_stable
    expect(at(51).beams_stable).toBe(true);
    expect(at(5).pileup).toBe(20); // low_pileup
    expect(at(1).pileup).toBe(58); // the demo's fill: 58 → 36 over the run
    expect(at(60).pileup).toBe(36);
    expect(r.text).toContain('"pileup":58.0');
  });

  it('bpix_ready is false where the demo has an outage while BPix was not ready', async () => {
    const r = await oms('lumisections', [
      ['run_number', 'EQ', 398100],
      ['bpix_ready', 'EQ', 'false'],
    ]);
    expect(r.json.data.map((d: any) => d.attributes.lumisection_number)).toEqual([50]);
  });

  it('hltpathrates: per-LS ZeroBias rates (2 Hz where the demo has outage2_low_hlt); hltpathinfo lists the paths', async () => {
    const info = await oms('hltpathinfo', [['run_number', 'EQ', 398101]], [['limit', 100]]);
    const paths: string[] = info.json.data.map((d: any) => d.attributes.path_name);
    const zb = paths.filter((p) => /^HLT_ZeroBias_v\d+$/.test(p));
    expect(zb).toEqual(['HLT_ZeroBias_v12']);
    const rates = await oms(
      'hltpathrates',
      [
        ['run_number', 'EQ', 398101],
        ['path_name', 'EQ', zb[0]],
      ],
      [['limit', 5000]],
      { 'group[granularity]': 'lumisection' },
    );
    expect(rates.json.meta.totalResourceCount).toBe(60);
    const byLs = new Map(rates.json.data.map((d: any) => [d.attributes.first_lumisection_number, d.attributes.rate]));
    expect(byLs.get(33)).toBe(2);
    for (const [ls, rate] of byLs) if (ls !== 33) expect(rate as number).toBeGreaterThan(5);
    const perRun = await oms(
      'hltpathrates',
      [
        ['run_number', 'EQ', 398101],
        ['path_name', 'EQ', zb[0]],
      ],
      [],
      { 'group[granularity]': 'run' },
    );
    expect(perRun.json.data.length).toBe(1);
  });

  it('paging by page[offset]/page[limit] covers every LS once; the default page is 10; links point at OMS', async () => {
    const seen: number[] = [];
    for (let offset = 0; ; offset += 25) {
      const r = await oms(
        'lumisections',
        [['run_number', 'EQ', 398102]],
        [
          ['offset', offset],
          ['limit', 25],
        ],
      );
      seen.push(...r.json.data.map((d: any) => d.attributes.lumisection_number));
      if (offset + 25 >= r.json.meta.totalResourceCount) {
        expect(r.json.links.next).toBeNull();
        break;
      }
      expect(r.json.links.next).toMatch(/^https:\/\/cmsoms\.cern\.ch\/agg\/api\/v1\/lumisections\//);
    }
    expect(seen).toEqual(Array.from({ length: 180 }, (_, i) => i + 1));
    expect((await oms('lumisections', [['run_number', 'EQ', 398102]])).json.data.length).toBe(10);
  });

  it('operators GE/LT/NEQ/LIKE, fields= projection and sort', async () => {
    const ge = await oms(
      'lumisections',
      [
        ['run_number', 'EQ', 398100],
        ['lumisection_number', 'GE', 58],
      ],
      [['limit', 100]],
      { fields: 'lumisection_number,pileup', sort: '-lumisection_number' },
    );
    expect(ge.json.data.map((d: any) => d.attributes)).toEqual([
      { lumisection_number: 60, pileup: 40 },
      { lumisection_number: 59, pileup: 40.4 },
      { lumisection_number: 58, pileup: 40.7 },
    ]);
    expect((await oms('runs', [['run_number', 'LT', 398100]])).json.data.map((d: any) => d.attributes.run_number)).toEqual([
      398011, 398012,
    ]);
    expect(
      (
        await oms('hltpathinfo', [
          ['run_number', 'EQ', 398100],
          ['path_name', 'LIKE', 'HLT_ZeroBias%'],
        ])
      ).json.meta.totalResourceCount,
    ).toBe(2);
    expect(
      (
        await oms('hltpathinfo', [
          ['run_number', 'EQ', 398100],
          ['path_name', 'NEQ', 'HLT_Physics_v13'],
        ])
      ).json.meta.totalResourceCount,
    ).toBe(3);
    const run = (await oms('runs', [['run_number', 'EQ', 398100]])).json.data[0].attributes;
    expect([run.fill_type_runtime, run.b_field, run.energy, run.clock_type, run.sequence]).toEqual([
      'PROTONS',
      3.8,
      6800,
      'LHC',
      'GLOBAL-RUN',
    ]);
  });

  it('what OMS refuses is an unhandled error in DIALS (500): no endpoint, unknown endpoint, unknown attribute; the proxy ignores Workspace but needs credentials', async () => {
    expect((await call(s, 'oms-proxy/')).status).toBe(500);
    expect((await oms('nothing', [])).status).toBe(500);
    expect((await oms('lumisections', [['no_such', 'EQ', 1]])).status).toBe(500);
    expect((await call(s, 'oms-proxy/', { query: { endpoint: 'runs' }, workspace: 'no-such-workspace' })).status).toBe(200);
    expect((await call(s, 'oms-proxy/', { query: { endpoint: 'runs' }, auth: null })).status).toBe(403);
  });
});

describe('production verdicts', () => {
  it('ml-models-index lists the pixel models; the active one is the production model', async () => {
    const { results } = await listAll(s, 'ml-models-index', { active: true });
    expect(results.map((m) => m.model_id)).toEqual([PIXEL_MODEL_ID]);
    expect(results[0].target_me).toMatch(/PXLayer_2$/);
  });

  it('the production model flags the demo anomalies that pass the lumisection filter, with two deliberate disagreements', async () => {
    const { results } = await listAll(s, 'ml-bad-lumisection', {
      model_id: PIXEL_MODEL_ID,
      dataset_id: EXPRESS_ID,
      run_number__in: '398100,398101',
    });
    const flagged = results.map((r) => `${r.run_number}:${r.ls_number}`);
    const { extraFlag, missedFlag } = PRODUCTION_DISAGREEMENTS;
    expect(flagged).toEqual(['398100:7', '398100:15', '398100:22', '398100:30', '398101:12']);
    expect(flagged).toContain(`${extraFlag.run}:${extraFlag.ls}`);
    expect(flagged).not.toContain(`${missedFlag.run}:${missedFlag.ls}`);
    // everything else agrees with the demo labels' "flagged after the filter"
    for (const run of [398100, 398101]) {
      for (let ls = 1; ls <= 60; ls++) {
        const disagreement = (run === extraFlag.run && ls === extraFlag.ls) || (run === missedFlag.run && ls === missedFlag.ls);
        expect(flagged.includes(`${run}:${ls}`), `${run}:${ls}`).toBe(LABELS[s.state.label(run, ls)].flagged !== disagreement);
      }
    }
    for (const r of results) expect([r.me_id, r.mse > 0.05 && r.mse < 0.2]).toEqual([250, true]);
  });

  it('cert-json: {run: {ls: [{model_id, me_id, filename, me, mse}]}} for the runs asked, runs without verdicts as {}', async () => {
    const r = await call(s, 'ml-bad-lumisection/cert-json/', {
      query: { model_id__in: [PIXEL_MODEL_ID, PIXEL_MODEL_OLD_ID], dataset_id__in: [EXPRESS_ID], run_number__in: [398101, 398104, 398100] },
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['398100', '398101', '398104']);
    expect(r.json['398104']).toEqual({});
    expect(Object.keys(r.json['398100'])).toEqual(['7', '15', '22', '30']);
    expect(r.json['398100']['7'].map((x: any) => x.model_id)).toEqual([PIXEL_MODEL_OLD_ID, PIXEL_MODEL_ID]);
    expect(Object.keys(r.json['398100']['7'][0])).toEqual(['model_id', 'me_id', 'filename', 'me', 'mse']);
    expect(r.json['398100']['7'][1].filename).toBe('model_PixelNMF_BPix2-4_checkpoint_20250610.onnx');
  });

  it('golden-json: good LS ranges per run (runs with no good LS left out)', async () => {
    const r = await call(s, 'ml-bad-lumisection/golden-json/', {
      query: { model_id__in: [PIXEL_MODEL_ID], dataset_id__in: [EXPRESS_ID], run_number__in: [398100, 398101, 398103] },
    });
    expect(r.json).toEqual({
      '398100': [
        [1, 6],
        [8, 14],
        [16, 21],
        [23, 29],
        [31, 60],
      ],
      '398101': [
        [1, 11],
        [13, 60],
      ],
    });
  });

  it("missing or bad id lists: 500 when a parameter is absent, 400 with DIALS's message when not integers", async () => {
    expect((await call(s, 'ml-bad-lumisection/cert-json/', { query: { model_id__in: 21, run_number__in: 398100 } })).status).toBe(500);
    const bad = await call(s, 'ml-bad-lumisection/cert-json/', {
      query: { model_id__in: 'x', dataset_id__in: EXPRESS_ID, run_number__in: 398100 },
    });
    expect([bad.status, bad.json]).toEqual([
      400,
      ['dataset_id and run_number must be valid integers and model_ids a valid list of integers'],
    ]);
    const badGolden = await call(s, 'ml-bad-lumisection/golden-json/', {
      query: { model_id__in: 21, dataset_id__in: EXPRESS_ID, run_number__in: '398100,' },
    });
    expect([badGolden.status, badGolden.json]).toEqual([
      400,
      ['dataset_id__in and run_number__in, and model_id__in a valid list of integers'],
    ]);
  });
});
