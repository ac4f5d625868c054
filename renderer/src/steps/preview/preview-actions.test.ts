import { beforeEach, describe, expect, it } from 'vitest';
import { clearWhatIf, select } from './preview-actions';
import type { PreviewBackend } from './preview-backend';
import { usePreviewStore } from './preview-store';
import type { TimelineLs } from './timeline/timeline-model';

// select() asks the back end for maps only once a session is known; none is here, so no call is made.
const noBackend = {} as PreviewBackend;
const ls = (i: number) => ({ index: i, run: 398100, ls: i + 1 }) as unknown as TimelineLs;
const position = { layer: 'BPix3', ladder: -3, module: 2, rocRow: 0 };

describe('what-if position (issue 15 item 6)', () => {
  beforeEach(() => {
    usePreviewStore.getState().reset();
    usePreviewStore.getState().set({ items: [ls(0), ls(1), ls(2)], selected: 0 });
    usePreviewStore.getState().set({ whatIfDraft: { ...usePreviewStore.getState().whatIfDraft, position } });
  });

  it('Clear takes the position (and so its outlines) away with the injection', () => {
    clearWhatIf();
    expect(usePreviewStore.getState().whatIfDraft.position).toBeNull();
    expect(usePreviewStore.getState().whatIf).toBeNull();
  });

  it('a position chosen on one lumisection does not follow to another; re-selecting the same LS keeps it', async () => {
    await select(noBackend, 0);
    expect(usePreviewStore.getState().whatIfDraft.position).toEqual(position);
    await select(noBackend, 1);
    expect(usePreviewStore.getState().selected).toBe(1);
    expect(usePreviewStore.getState().whatIfDraft.position).toBeNull();
  });
});
