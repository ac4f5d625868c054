import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NOTICE_FADE_MS, useAppStore } from './app-store';

describe('notices', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    useAppStore.setState({ notices: [] });
  });
  afterEach(() => vi.useRealTimers());

  const titles = () => useAppStore.getState().notices.map((n) => n.title);

  it('info and success notices fade; errors and warnings stay until dismissed', () => {
    const { notify } = useAppStore.getState();
    notify({ kind: 'success', title: 'Saved', message: 'template.yaml saved.' });
    notify({ kind: 'info', title: 'Copied', message: '' });
    notify({ kind: 'error', title: 'Could not save', message: 'disk full' });
    notify({ kind: 'warning', title: 'Saved with 1 error', message: 'dismcli will refuse it' });
    vi.advanceTimersByTime(NOTICE_FADE_MS - 1);
    expect(titles()).toEqual(['Saved', 'Copied', 'Could not save', 'Saved with 1 error']);
    vi.advanceTimersByTime(1);
    expect(titles()).toEqual(['Could not save', 'Saved with 1 error']);
    vi.advanceTimersByTime(10 * NOTICE_FADE_MS);
    expect(titles()).toEqual(['Could not save', 'Saved with 1 error']);
    useAppStore.getState().dismiss(useAppStore.getState().notices[0].id);
    expect(titles()).toEqual(['Saved with 1 error']);
  });

  it('a notice the pointer rests on does not fade until it leaves', () => {
    const { notify } = useAppStore.getState();
    notify({ kind: 'success', title: 'Saved', message: '' });
    const id = useAppStore.getState().notices[0].id;
    useAppStore.getState().holdNotice(id, true);
    vi.advanceTimersByTime(3 * NOTICE_FADE_MS);
    expect(titles()).toEqual(['Saved']);
    useAppStore.getState().holdNotice(id, false);
    vi.advanceTimersByTime(NOTICE_FADE_MS);
    expect(titles()).toEqual([]);
  });

  it('the same notice again replaces the earlier one instead of piling up', () => {
    const { notify } = useAppStore.getState();
    for (let i = 0; i < 3; i++) notify({ kind: 'error', title: 'Could not check the container engine', message: 'refused' });
    expect(titles()).toEqual(['Could not check the container engine']);
  });
});
