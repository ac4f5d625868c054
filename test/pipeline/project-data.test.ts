import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { templateSampleData } from '@/backend/inference/load-inputs';
import { projectSampleData } from '@/backend/pipeline/project-data';
import type { ResourceView } from '@/backend/build-local/template-source';

/** One rule finds a project's sample data, for the Preview (preset layers) and test inference (InputSignature). */
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-sample-data-'));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const touch = async (...names: string[]) => {
  await fs.mkdir(path.join(dir, 'data'), { recursive: true });
  for (const n of names) await fs.writeFile(path.join(dir, 'data', n), '');
};
const layers = [
  {
    name: 'BPix2',
    monitoringElement: 'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_2',
  },
  {
    name: 'BPix3',
    monitoringElement: 'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3',
  },
];
const resource: ResourceView = {
  key: 'Res',
  type: 'InferenceService::MLServer::PixelNMF',
  framework: 'MLServer',
  model: 'PixelNMF',
  properties: {
    InputSignature: layers.map((l) => ({ Name: l.name, MonitoringElement: l.monitoringElement, DataType: 'FP32', Dims: [-1, 10, 20] })),
  },
};

describe('project sample data', () => {
  it('per layer raw_<layer>.npy before <layer>.npy before a parquet export of its ME; ids, the first OMS and HLT file', async () => {
    await touch(
      'raw_BPix2.npy',
      'BPix2.npy',
      'ZeroBias-Run2025F-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3.parquet',
      'run_number.npy',
      'ls_number.npy',
      'omsdata_b.json',
      'omsdata_a.json',
      'hltrate_x.json',
    );
    const d = path.join(dir, 'data');
    const expected = {
      runs: path.join(d, 'run_number.npy'),
      lumis: path.join(d, 'ls_number.npy'),
      oms: path.join(d, 'omsdata_a.json'),
      hlt: path.join(d, 'hltrate_x.json'),
    };
    const files = {
      BPix2: path.join(d, 'raw_BPix2.npy'),
      BPix3: path.join(
        d,
        'ZeroBias-Run2025F-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_3.parquet',
      ),
    };
    expect(await projectSampleData(dir, layers)).toEqual({ layers: files, ...expected, baseDir: dir });
    expect(await templateSampleData(dir, resource)).toEqual({ files, ...expected });
  });

  it('run/LS numbers only as a pair', async () => {
    await touch('raw_BPix2.npy', 'raw_BPix3.npz', 'run_number.npy');
    expect(await projectSampleData(dir, layers)).toEqual({
      layers: { BPix2: path.join(dir, 'data', 'raw_BPix2.npy'), BPix3: path.join(dir, 'data', 'raw_BPix3.npz') },
      baseDir: dir,
    });
  });

  it('the same messages for the Preview and for test inference', async () => {
    const noFolder = `No sample data: ${path.join(dir, 'data')} does not exist. Put data/raw_<layer>.npy (+ run_number.npy, ls_number.npy, omsdata*.json, hltrate*.json) there, or choose the data files.`;
    await expect(projectSampleData(dir, layers)).rejects.toThrow(noFolder);
    await expect(templateSampleData(dir, resource)).rejects.toThrow(noFolder);
    await touch('raw_BPix2.npy');
    const noLayer = `No sample data for BPix3 in ${path.join(dir, 'data')} (looked for raw_BPix3.npy, BPix3.npy, raw_BPix3.npz or a DIALS parquet export of ${layers[1].monitoringElement}).`;
    await expect(projectSampleData(dir, layers)).rejects.toThrow(noLayer);
    await expect(templateSampleData(dir, resource)).rejects.toThrow(noLayer);
  });
});
