import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePackagedProject } from '../helpers/packaged-project';
import type { JobSnapshot } from '@/shared/api/contract';

const fx = usePackagedProject('dism-export-api-');

describe('export API', () => {
  it('summary, export job, and TARGET_EXISTS until confirmed', async () => {
    const summary = await fx.backend.dispatch('export.summary', { projectDir: fx.project });
    expect(summary).toMatchObject({ ok: true, result: { registration: { title: '[Request] Model registration' } } });

    const to = path.join(fx.tmp, 'out.zip');
    const started = await fx.backend.dispatch('export.run', { projectDir: fx.project, to });
    expect(started.ok).toBe(true);
    const job = await fx.backend.ctx.jobs.wait((started as { result: JobSnapshot }).result.id);
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ target: to, format: 'zip', replaced: false });

    const again = await fx.backend.dispatch('export.run', { projectDir: fx.project, to });
    expect(again).toMatchObject({ ok: false, error: { code: 'TARGET_EXISTS', name: 'TargetExistsError' } });
    const confirmed = await fx.backend.dispatch('export.run', { projectDir: fx.project, to, overwrite: true });
    expect((await fx.backend.ctx.jobs.wait((confirmed as { result: JobSnapshot }).result.id)).result).toMatchObject({ replaced: true });
  });
});
