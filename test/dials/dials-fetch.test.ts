import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDialsParquet } from '@/backend/pipeline/dials-parquet';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { loadHltRates, loadOmsColumnar } from '@/backend/pipeline/oms';
import { projectSampleData } from '@/backend/pipeline/project-data';
import { projectFetchFolder, partialFolderOf } from '@/backend/dials/fetch-folder';
import type { DialsFetchManifest } from '@/shared/api/contract/dials';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { BARREL_ME_IDS, EXPRESS_2025F, PIXEL_BARREL_ME } from '../stand-ins/dials-api/world';
import { call } from '../stand-ins/dials-api/test-helpers';
import { dialsTestWorld, type DialsTestWorld } from './helpers';

/**
 * The fetch of sample maps, OMS and HLT data against the DIALS API stand-in: what is written is
 * what DIALS served (bin for bin), pages, retries, resume after an interruption, and the errors
 * a physicist meets, each with what to do.
 */

const EXPRESS_ID = 15191836;
const LAYERS = ['BPix2', 'BPix3', 'BPix4'] as const;
let w: DialsTestWorld | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

async function fetchOk(world: DialsTestWorld, extra: Record<string, unknown> = {}): Promise<DialsFetchManifest> {
  const job = await world.service.fetch({
    projectDir: world.projectDir,
    template: 'template.yaml',
    dataset: EXPRESS_2025F,
    runs: { kind: 'list', runs: [398100, 398101] },
    ...extra,
  });
  const end = await world.waitJob(job.id);
  if (end.state !== 'succeeded') throw new Error(`fetch ${end.state}: ${end.error?.code} ${end.error?.message}`);
  return end.result as DialsFetchManifest;
}

async function fetchFails(world: DialsTestWorld, extra: Record<string, unknown> = {}) {
  const job = await world.service.fetch({
    projectDir: world.projectDir,
    template: 'template.yaml',
    dataset: EXPRESS_2025F,
    runs: { kind: 'list', runs: [398100, 398101] },
    ...extra,
  });
  const end = await world.waitJob(job.id);
  expect(end.state).toBe('failed');
  return end.error!;
}

/** The map as the stand-in serves it on th2's detail route (flattened). */
async function servedMap(world: DialsTestWorld, run: number, ls: number, meId: number): Promise<number[]> {
  const r = await call(world.dials, `th2/${EXPRESS_ID}/${run}/${ls}/${meId}/`);
  expect(r.status).toBe(200);
  return (r.json.data as number[][]).flat();
}

const th2Requests = (world: DialsTestWorld) => world.dials.requests.filter((r) => r.routeId === 'th2:list');

describe('DIALS fetch', () => {
  it('writes one DIALS-format parquet per ME that reads back bin for bin as the stand-in served it, plus OMS, HLT and the manifest', async () => {
    w = await dialsTestWorld({ service: { pageSize: 25 } });
    await w.signIn();
    const m = await fetchOk(w);
    const folder = projectFetchFolder(w.projectDir);
    expect(m).toMatchObject({
      instance: w.dials.url.replace(/\/$/, ''),
      dataset: EXPRESS_2025F,
      datasetId: EXPRESS_ID,
      runsFetched: [398100, 398101],
      runsWithoutData: [],
      lumisections: 120,
      oms: 'omsdata_dials.json',
      hlt: { file: 'hltrate_dials.json', paths: ['HLT_ZeroBias_v12'] },
    });
    expect(m.mes.map((x) => [x.meId, x.lumisections])).toEqual([
      [250, 120],
      [251, 120],
      [252, 120],
    ]);
    // 60 LS per run at 25 per page: 3 pages per (ME, run)
    expect(m.stats.pages).toBe(3 * 2 * 3);
    for (const [i, layer] of LAYERS.entries()) {
      const me = `${PIXEL_BARREL_ME}${i + 2}`;
      const file = path.join(folder, m.mes[i].file);
      expect(path.basename(file)).toBe(`StreamExpress-Run2025F-Express-v1-DQMIO-${me.replace(/\//g, '-')}.parquet`);
      const maps = await loadDialsParquet(file, me);
      expect(maps.n).toBe(120);
      for (let k = 0; k < maps.n; k++) {
        const size = maps.rows * maps.cols;
        const got = Array.from(maps.maps.subarray(k * size, (k + 1) * size));
        expect(got, `${layer} run ${maps.runs[k]} LS ${maps.lumis[k]}`).toEqual(
          await servedMap(w, maps.runs[k], maps.lumis[k], BARREL_ME_IDS[layer]),
        );
      }
    }
    // The other columns as DIALS has them, the types of DIALS's own exports (integers as INT64).
    const { parquetReadObjects, asyncBufferFromFile } = await import('hyparquet');
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(folder, m.mes[0].file)), rowEnd: 1 });
    const served = (await call(w.dials, `th2/${EXPRESS_ID}/398100/1/250/`)).json;
    expect(rows[0]).toMatchObject({
      dataset: served.dataset,
      me: served.me,
      dataset_id: BigInt(served.dataset_id),
      file_id: BigInt(served.file_id),
      run_number: 398100n,
      ls_number: 1n,
      me_id: 250n,
      x_min: served.x_min,
      x_max: served.x_max,
      x_bin: BigInt(served.x_bin),
      y_min: served.y_min,
      y_max: served.y_max,
      y_bin: BigInt(served.y_bin),
      entries: served.entries,
    });
    // OMS and HLT in the layouts the preview reads, with the stand-in's conditions
    const oms = await loadOmsColumnar(path.join(folder, 'omsdata_dials.json'));
    expect(oms.index.size).toBe(120);
    const beamsStable = oms.attributes.beams_stable[oms.index.get('398101:52')!];
    expect(beamsStable).toBe(w.dials.state.conditions(398101, 52).beamsStable);
    expect(beamsStable).toBe(false);
    const warnings: string[] = [];
    const hlt = await loadHltRates(path.join(folder, 'hltrate_dials.json'), 'HLT_ZeroBias_v*', warnings);
    expect(warnings).toEqual([]);
    expect(hlt.rates.get('398101:33')!.rate).toBe(w.dials.state.conditions(398101, 33).hltZeroBiasRate);
    // nothing left of the partial download
    await expect(fs.access(partialFolderOf(folder))).rejects.toThrow();
    // The Preview finds it by itself (auto) and the maps load as its layers.
    const preset = pixelBarrelPreset();
    const spec = await projectSampleData(w.projectDir, preset.layers);
    expect(Object.values(spec.layers).every((f) => f.startsWith(folder))).toBe(true);
    const data = await loadDataInputs(preset, spec);
    expect(data.n).toBe(120);
    // and the project files are still one choice away
    await expect(projectSampleData(w.projectDir, preset.layers, 'project-files')).rejects.toThrow(/No sample data/);
  });

  it('no token in the job log, the manifest, the interrupted-fetch files or anything else written', async () => {
    w = await dialsTestWorld({ service: { pageSize: 10 } });
    await w.signIn();
    const conn = w.service.connection(w.dials.url);
    const token = (await conn.tokens.load(conn.instance))!;
    // an interruption first, so the partial files exist too, then a refresh mid-fetch (a second token)
    w.dials.faults.dropMidPage('th2', Infinity, 0.5, 4);
    await fetchFails(w);
    const partial = partialFolderOf(projectFetchFolder(w.projectDir));
    const partialText = await fs.readFile(path.join(partial, 'progress.json'), 'utf8');
    w.dials.faults.clear();
    w.dials.auth.expireAccessTokens();
    await fetchOk(w);
    const refreshed = (await conn.tokens.load(conn.instance))!;
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    const secrets = [token.accessToken, token.refreshToken, refreshed.accessToken, refreshed.refreshToken];
    const logs = [...w.logs.values()].flat().join('\n');
    expect(logs).toContain('th2/?');
    const written: string[] = [partialText];
    for (const f of await fs.readdir(w.projectDir, { recursive: true })) {
      const full = path.join(w.projectDir, f);
      if ((await fs.stat(full)).isFile()) written.push((await fs.readFile(full)).toString('latin1'));
    }
    for (const s of secrets) {
      expect(logs).not.toContain(s);
      for (const text of written) expect(text).not.toContain(s);
    }
  });

  it('sends the real filter names (ls_number__lte, not the client class typo) and keeps to the LS range', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    const m = await fetchOk(w, { ls: { first: 5, last: 14 } });
    expect(m.lumisections).toBe(20);
    const q = Object.fromEntries(th2Requests(w)[0].query);
    expect(q).toMatchObject({ ls_number__gte: '5', ls_number__lte: '14', dataset_id: String(EXPRESS_ID), run_number: expect.any(String) });
    expect(q).not.toHaveProperty('ls_numbet__lte');
    const maps = await loadDialsParquet(path.join(projectFetchFolder(w.projectDir), m.mes[0].file));
    expect(Math.min(...maps.lumis)).toBe(5);
    expect(Math.max(...maps.lumis)).toBe(14);
  });

  it('keeps to the concurrency bound: never more requests open at DIALS than asked for', async () => {
    let open = 0;
    let most = 0;
    const counted = new WeakSet<object>();
    w = await dialsTestWorld({
      standIn: {
        latencyMs: 40,
        onRequest: (r) => {
          if (counted.has(r)) open--; // its end
        },
      },
      service: { pageSize: 5, concurrency: 3 },
    });
    await w.signIn();
    // the start of each th2 request, seen when it is logged (onRequest is called at its end)
    const requests = w.dials.requests;
    const push = requests.push.bind(requests);
    requests.push = (...items) => {
      for (const r of items)
        if (r.path.includes('/th2/')) {
          counted.add(r);
          most = Math.max(most, ++open);
        }
      return push(...items);
    };
    // 6 (ME, run) walks that could run at once
    const m = await fetchOk(w, { runs: { kind: 'list', runs: [398100, 398101] } });
    expect(m.stats.pages).toBe(72); // 3 MEs × 2 runs × 60 LS / 5 per page
    expect(most).toBe(3);
  });

  it('retries 429 (honouring Retry-After), 5xx, resets and connections dropped mid-page, and gets every record once', async () => {
    const delays: number[] = [];
    const { fastRetry } = await import('./helpers');
    w = await dialsTestWorld({ service: { pageSize: 10, ...fastRetry(delays) } });
    await w.signIn();
    // one after the other on consecutive th2 requests (a rule lets `skip` requests through first)
    const f = w.dials.faults;
    f.add({ route: 'th2', times: 1, skip: 0, fault: { kind: 'status', status: 429, retryAfterS: 3 } });
    f.add({ route: 'th2', times: 1, skip: 1, fault: { kind: 'status', status: 503 } });
    f.add({ route: 'th2', times: 1, skip: 2, fault: { kind: 'reset' } });
    f.add({ route: 'th2', times: 2, skip: 3, fault: { kind: 'drop-mid-page', fraction: 0.5 } });
    const m = await fetchOk(w, { runs: { kind: 'list', runs: [398100] } });
    expect(m.lumisections).toBe(60);
    expect(delays).toContain(3000); // Retry-After: 3
    expect(m.stats.retries).toBe(5);
    expect(f.active()).toEqual([]);
    const maps = await loadDialsParquet(path.join(projectFetchFolder(w.projectDir), m.mes[2].file));
    expect(Array.from(maps.lumis)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(w.logs.get([...w.logs.keys()][0])!.some((l) => /HTTP 429; trying again in 3\.0 s/.test(l))).toBe(true);
  });

  it('network down mid-fetch: the error says the download is kept; the next fetch continues without refetching finished pages', async () => {
    w = await dialsTestWorld({ service: { pageSize: 10, concurrency: 2 } });
    await w.signIn();
    // 2 runs × 3 MEs × 6 pages = 36 pages; after 10 good ones every th2 connection drops
    w.dials.faults.dropMidPage('th2', Infinity, 0.5, 10);
    const err = await fetchFails(w);
    expect(err.code).toBe('DIALS_UNREACHABLE');
    expect(err.message).toMatch(/Cannot reach DIALS .*connection dropped/);
    expect(err.message).toMatch(
      /The download so far is kept \(10 of 36 pages in .*\.dials\.partial\); fetch again with the same dataset, runs and MEs to continue/,
    );
    const data = await w.service.projectData(w.projectDir);
    expect(data.manifest).toBeNull();
    expect(data.partial).toMatchObject({ dataset: EXPRESS_2025F, pagesDone: 10, pagesTotal: 36 });

    w.dials.faults.clear();
    w.dials.clearRequests();
    const m = await fetchOk(w);
    // only the 26 pages not saved before
    expect(th2Requests(w).filter((r) => r.status === 200)).toHaveLength(26);
    expect(m.stats.resumedPages).toBe(10);
    expect(m.lumisections).toBe(120);
    const maps = await loadDialsParquet(path.join(projectFetchFolder(w.projectDir), m.mes[1].file));
    for (let k = 0; k < maps.n; k++) {
      expect(Array.from(maps.maps.subarray(k * 90 * 72, (k + 1) * 90 * 72))).toEqual(await servedMap(w, maps.runs[k], maps.lumis[k], 251));
    }
  });

  it('cancel keeps what was saved; the same request continues from there', async () => {
    w = await dialsTestWorld({ standIn: { latencyMs: 30 }, service: { pageSize: 5, concurrency: 1 } });
    await w.signIn();
    const job = await w.service.fetch({
      projectDir: w.projectDir,
      template: 'template.yaml',
      dataset: EXPRESS_2025F,
      runs: { kind: 'range', first: 398100, last: 398101 },
    });
    // cancel once four pages are saved (a page DIALS has answered may still be on its way to disk: that one is asked again)
    const world = w;
    const saved = async () => (await world.service.projectData(world.projectDir)).partial?.pagesDone ?? 0;
    for (let i = 0; i < 400 && (await saved()) < 4; i++) await new Promise((r) => setTimeout(r, 20));
    await w.jobs.cancel(job.id);
    expect((await w.waitJob(job.id)).state).toBe('cancelled');
    const partial = (await w.service.projectData(w.projectDir)).partial!;
    expect(partial.pagesDone).toBeGreaterThanOrEqual(4);
    w.dials.clearRequests();
    const m = await fetchOk(w, { runs: { kind: 'range', first: 398100, last: 398101 } });
    expect(m.stats.resumedPages).toBe(partial.pagesDone);
    expect(th2Requests(w).filter((r) => r.status === 200)).toHaveLength(72 - partial.pagesDone);
  });

  it('leaves out runs without data and says why; a range with only such runs is an error listing them', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    const m = await fetchOk(w, { runs: { kind: 'list', runs: [398103, 398104, 398108] } });
    expect(m.runsFetched).toEqual([398108]);
    expect(m.runsWithoutData).toEqual([
      { run: 398103, reason: `no data of ${EXPRESS_2025F} in DIALS` },
      { run: 398104, reason: 'no maps of clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_4' },
    ]);
    const err = await fetchFails(w, { runs: { kind: 'list', runs: [398103, 398105, 398106] }, replace: true });
    expect(err.code).toBe('DIALS_NO_DATA');
    expect(err.message).toContain(`Runs without data: 398103 (no data of ${EXPRESS_2025F} in DIALS); 398105 (no data`);
    const none = await fetchFails(w, { runs: { kind: 'range', first: 390000, last: 390010 }, replace: true });
    expect(none.message).toBe(
      `No run from 390000 to 390010 has data of ${EXPRESS_2025F} in DIALS (your default workspace). Check the run numbers and the dataset (Express or PromptReco, era).`,
    );
  });

  it('an unknown ME is named with the closest MEs DIALS has', async () => {
    w = await dialsTestWorld({ template: (y) => y.replace('PXLayer_3', 'PXLayr_3') });
    await w.signIn();
    const err = await fetchFails(w);
    expect(err.code).toBe('DIALS_UNKNOWN_ME');
    expect(err.message).toContain(
      `has no monitoring element "${PIXEL_BARREL_ME.replace('PXLayer_', 'PXLayr_')}3" (template input BPix3). Closest: ${PIXEL_BARREL_ME}3,`,
    );
  });

  it('an unknown dataset is named with the closest datasets', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    const err = await fetchFails(w, { dataset: '/StreamExpress/Run2025F-Expres-v1/DQMIO' });
    expect(err.code).toBe('DIALS_UNKNOWN_DATASET');
    expect(err.message).toContain(`Closest: ${EXPRESS_2025F}`);
  });

  it('not signed in, an unknown workspace and a workspace without e-group membership each say what to do', async () => {
    w = await dialsTestWorld();
    const notSigned = await fetchFails(w);
    expect(notSigned.code).toBe('DIALS_SIGN_IN_REQUIRED');
    expect(notSigned.message).toMatch(
      /^You are not signed in to DIALS\. Sign in to DIALS \(http:\/\/127\.0\.0\.1:\d+\) — in the app with "Sign in to DIALS"/,
    );
    await w.signIn();
    const ws = await fetchFails(w, { workspace: 'trackr' });
    expect(ws.code).toBe('DIALS_UNKNOWN_WORKSPACE');
    expect(ws.message).toContain('DIALS has no workspace "trackr"');
    w.dials.faults.forbidWorkspace('tracker');
    const forbidden = await fetchFails(w, { workspace: 'tracker' });
    expect(forbidden.code).toBe('DIALS_FORBIDDEN');
    expect(forbidden.message).toContain('membership of its e-group');
  });

  it('a record that does not match the client model stops the fetch naming the field; nothing is skipped', async () => {
    w = await dialsTestWorld({ service: { pageSize: 10 } });
    await w.signIn();
    w.dials.faults.schema('th2', 'data', 'missing', { record: 3, times: 1 });
    const err = await fetchFails(w);
    expect(err.code).toBe('DIALS_BAD_RESPONSE');
    expect(err.message).toMatch(/record 4 of th2\/\?.* has no field "data"/);
    w.dials.faults.schema('th2', 'x_bin', 'wrong-type', { times: 1 });
    const err2 = await fetchFails(w);
    expect(err2.message).toMatch(/field "x_bin" expected a number, got the text/);
  });

  it('refuses to replace an earlier fetch unless asked, and never a folder it did not write', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    await fetchOk(w);
    const again = await fetchFails(w, { runs: { kind: 'list', runs: [398108] } });
    expect(again.code).toBe('DIALS_FETCH_EXISTS');
    expect(again.message).toContain('runs 398100, 398101');
    const m = await fetchOk(w, { runs: { kind: 'list', runs: [398108] }, replace: true });
    expect(m.runsFetched).toEqual([398108]);
    const folder = projectFetchFolder(w.projectDir);
    await fs.rm(folder, { recursive: true });
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'my-notes.txt'), 'mine');
    const foreign = await fetchFails(w, { replace: true });
    expect(foreign.message).toContain('is not a DIALS fetch folder');
    expect(await fs.readFile(path.join(folder, 'my-notes.txt'), 'utf8')).toBe('mine');
  });

  it('production flags of a model for the fetched runs are saved next to the fetch', async () => {
    w = await dialsTestWorld();
    await w.signIn();
    await fetchOk(w);
    const models = await w.service.models(w.projectDir);
    expect(models.find((x) => x.active)).toMatchObject({ modelId: 21, targetMe: `${PIXEL_BARREL_ME}2` });
    const flags = await w.service.flags(w.projectDir, 21);
    expect(flags.flagged.map((f) => `${f.run}:${f.ls}`)).toEqual(['398100:7', '398100:15', '398100:22', '398100:30', '398101:12']);
    expect((await w.service.projectData(w.projectDir)).production).toEqual(flags);
    // asked once each, with the client's cert_json()/golden_json() parameters, in the fetch's workspace (the user's default: tracker)
    expect(
      w.dials.requests
        .filter((r) => /json$/.test(r.routeId ?? ''))
        .map((r) => [r.routeId, r.status, r.workspace ?? null, r.query.map(([k]) => k)]),
    ).toEqual([
      ['ml-bad-lumisection:cert-json', 200, 'tracker', ['model_id__in', 'dataset_id__in', 'run_number__in']],
      ['ml-bad-lumisection:golden-json', 200, 'tracker', ['model_id__in', 'dataset_id__in', 'run_number__in']],
    ]);
    // DIALS's cert and golden JSON of the model for the fetched runs, exactly as DIALS serves them
    const query = { model_id__in: 21, dataset_id__in: flags.datasetId!, run_number__in: '398100,398101' };
    const ws = flags.workspace ?? undefined;
    const cert = await call(w.dials, 'ml-bad-lumisection/cert-json/', { query, workspace: ws });
    const golden = await call(w.dials, 'ml-bad-lumisection/golden-json/', { query, workspace: ws });
    expect(flags.certJson).toEqual(cert.json);
    expect(flags.goldenJson).toEqual(golden.json);
    expect(Object.entries(flags.certJson!).flatMap(([run, byLs]) => Object.keys(byLs).map((ls) => `${run}:${ls}`))).toEqual([
      '398100:7',
      '398100:15',
      '398100:22',
      '398100:30',
      '398101:12',
    ]);
    expect(flags.goldenJson!['398100'].slice(0, 3)).toEqual([
      [1, 6],
      [8, 14],
      [16, 21],
    ]);
    expect(flags.warnings).toEqual([]);
  });

  it("a Preview that asks for the DIALS data when the fetch lacks a layer's ME says which", async () => {
    w = await dialsTestWorld();
    await w.signIn();
    await fetchOk(w);
    await expect(
      projectSampleData(
        w.projectDir,
        [...pixelBarrelPreset().layers, { name: 'BPix1', monitoringElement: `${PIXEL_BARREL_ME}1` }],
        'dials',
      ),
    ).rejects.toThrow(/has no maps of BPix1/);
  });
});
