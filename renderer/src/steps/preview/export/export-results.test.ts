import { describe, expect, it } from 'vitest';
import { dataUrlToBlob } from './export-results';

describe('dataUrlToBlob', () => {
  it('reads a base64 PNG data URL byte for byte', async () => {
    const bytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00];
    const blob = dataUrlToBlob(`data:image/png;base64,${Buffer.from(bytes).toString('base64')}`);
    expect(blob.type).toBe('image/png');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual(bytes);
  });

  it('reads the percent-encoded SVG data URL plotly gives for SVG', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><text>Run 398100 · LS 7 — (input − reco)² 100%</text></svg>';
    const blob = dataUrlToBlob(`data:image/svg+xml,${encodeURIComponent(svg)}`);
    expect(blob.type).toBe('image/svg+xml');
    expect(await blob.text()).toBe(svg);
  });
});
