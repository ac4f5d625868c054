import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { readNpyFile } from '@/backend/pipeline/npy';
import type { NmfSession } from '@/backend/pipeline/onnx-session';
import { compilePresetFiles, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline } from '@/backend/pipeline/runner';
import type { CompiledPipeline } from '@/shared/pipeline/model';
import type { ChunkStages, LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { LAYERS, REFERENCE_DIR, referenceData, referencePreset } from './fixture';

const ref = (name: string) => readNpyFile(path.join(REFERENCE_DIR, 'reference', name));

/** Concatenate one stage over all chunks. */
function gather(chunks: ChunkStages[], pick: (c: ChunkStages) => ArrayLike<number>): number[] {
  return chunks.flatMap((c) => Array.from(pick(c)));
}

function expectClose(actual: number[], expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let bad = 0;
  let first = '';
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= 1e-5 + 1e-4 * Math.abs(e);
    if (!ok && bad++ === 0) first = `index ${i}: ${a} vs ${e}`;
  }
  expect(bad, `${what}: ${bad} values differ, first ${first}`).toBe(0);
}

function expectExact(actual: number[], expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const diff = actual.findIndex((a, i) => a !== Number(expected[i]));
  expect(diff, `${what}: first difference at ${diff}`).toBe(-1);
}

describe('parity with the reference PixelNMF pipeline', () => {
  let cp: CompiledPipeline;
  let sessions: NmfSession[];
  const chunks: ChunkStages[] = [];
  const summaries: LumisectionSummary[] = [];

  beforeAll(async () => {
    const loaded = referencePreset();
    cp = await compilePresetFiles(loaded);
    sessions = await openSessions(loaded, cp);
    const data = await loadDataInputs(loaded.preset, referenceData);
    const warnings: string[] = [];
    const cond = await loadConditions(loaded.preset, referenceData, data, warnings);
    expect(warnings).toEqual([]);
    // A chunk size that does not divide 24 exercises chunk boundaries.
    await runPipeline(cp, sessions, inMemorySource(cp, data), cond, {
      chunkSize: 7,
      onChunk: (s, sum) => void (chunks.push(s), summaries.push(...sum)),
    });
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
  });

  it.each(LAYERS.map((l, i) => [l, i] as const))('%s: preprocessed, reconstruction, loss, loss_binary', async (layer, i) => {
    expectClose(
      gather(chunks, (c) => c.preprocessed[i]),
      (await ref(`onnx/preprocessed_${layer}.npy`)).data,
      `preprocessed_${layer}`,
    );
    expectClose(
      gather(chunks, (c) => c.reconstruction[i]),
      (await ref(`onnx/reconstruction_${layer}.npy`)).data,
      `reconstruction_${layer}`,
    );
    expectClose(
      gather(chunks, (c) => c.loss[i]),
      (await ref(`onnx/loss_${layer}.npy`)).data,
      `loss_${layer}`,
    );
    expectExact(
      gather(chunks, (c) => c.decisions.lossBinary[i]),
      (await ref(`onnx/loss_binary_${layer}.npy`)).data,
      `loss_binary_${layer}`,
    );
  });

  it('combined maps, loss mask, flags and filter', async () => {
    expectExact(
      gather(chunks, (c) => c.decisions.combined),
      (await ref('onnx/combined_loss_unmasked.npy')).data,
      'combined_loss_unmasked',
    );
    expectExact(Array.from(cp.maskCombined), (await ref('onnx/loss_mask_combined.npy')).data, 'loss_mask_combined');
    expectExact(
      gather(chunks, (c) => c.decisions.final),
      (await ref('onnx/combined_binary.npy')).data,
      'combined_binary',
    );
    expectExact(
      gather(chunks, (c) => c.decisions.flagsBeforeFilter),
      (await ref('onnx/flags_before_filter.npy')).data,
      'flags_before_filter',
    );
    expectExact(
      summaries.map((s) => Number(s.passedFilter)),
      (await ref('filter_mask.npy')).data,
      'filter_mask',
    );
    expectExact(
      summaries.map((s) => Number(s.flagged)),
      (await ref('onnx/flags.npy')).data,
      'flags',
    );
  });

  it('reasons explain every filtered LS', () => {
    for (const s of summaries) expect(s.passedFilter).toBe(s.reasons.length === 0);
    const codes = summaries.map((s) => s.reasons.map((r) => r.code).join(','));
    // manifest truth: 17 low_stat, 18 low_pileup, 19 beams_not_stable, 20 bpix_not_ready, 21 outage3_low_hlt
    expect(codes[17]).toContain('min_entries');
    expect(codes[18]).toContain('pileup_low');
    expect(codes[19]).toContain('oms_flag_false');
    expect(codes[20]).toContain('oms_flag_false');
    expect(codes[21]).toContain('hlt_rate_low');
    expect(summaries[21].flaggedBeforeFilter && !summaries[21].flagged).toBe(true);
  });
});
