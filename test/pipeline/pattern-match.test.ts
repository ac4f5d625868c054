import { describe, expect, it } from 'vitest';
import { compilePattern, containsPattern, markMatches, matchTemplateSqdiff, MatchScratch } from '@/shared/pipeline/pattern-match';

describe('TM_SQDIFF template matching', () => {
  it('computes sums of squared differences in valid mode (hand-checked)', () => {
    // 3 × 4 map, pattern [1 1]: window (i, j) covers src[i][j], src[i][j+1]
    const src = [1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 2];
    const r = matchTemplateSqdiff(src, 3, 4, compilePattern({ ones: [1, 2] }));
    expect([r.rows, r.cols]).toEqual([3, 3]);
    expect(Array.from(r.values)).toEqual([0, 1, 1, 1, 0, 0, 2, 2, 2]);
  });

  it('handles non-constant patterns', () => {
    const src = [0, 1, 0, 1, 0, 0];
    const r = matchTemplateSqdiff(src, 2, 3, compilePattern([[1], [0]]));
    // column windows: (0,0): (0-1)²+(1-0)² = 2; (0,1): (1-1)²+(0-0)² = 0; (0,2): (0-1)²+(0-0)² = 1
    expect(Array.from(r.values)).toEqual([2, 0, 1]);
  });

  it('finds nothing when the pattern is larger than the map', () => {
    const p = compilePattern({ ones: [2, 16] });
    expect(matchTemplateSqdiff(new Float64Array(8 * 4), 4, 8, p).values.length).toBe(0);
    expect(containsPattern(new Float64Array(32).fill(1), 0, 4, 8, p, 1.5, new MatchScratch(4, 8))).toBe(false);
  });

  it('marks every matching window, including windows touching the edges', () => {
    // 3 × 5 map with a 2 × 2 block in the bottom-right corner and one stray bin
    const src = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
    const out = new Uint8Array(15);
    markMatches(src, 0, 3, 5, compilePattern({ ones: [2, 2] }), 0.5, out, 0, new MatchScratch(3, 5));
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
    // allowing one mismatch (threshold 1.5) also keeps windows with 3 of 4 bins set
    const loose = new Uint8Array(15);
    markMatches(src, 0, 3, 5, compilePattern({ ones: [2, 2] }), 1.5, loose, 0, new MatchScratch(3, 5));
    expect(Array.from(loose)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
    const src2 = new Uint8Array([0, 0, 0, 1, 1, 0, 0, 0, 1, 0]);
    const out2 = new Uint8Array(10);
    markMatches(src2, 0, 2, 5, compilePattern({ ones: [2, 2] }), 1.5, out2, 0, new MatchScratch(2, 5));
    expect(Array.from(out2)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
  });

  it('the integral-image path agrees with direct sums on random maps', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const scratch = new MatchScratch(20, 30);
    for (let trial = 0; trial < 30; trial++) {
      const h = 3 + Math.floor(rnd() * 15);
      const w = 3 + Math.floor(rnd() * 25);
      const src = new Float64Array(h * w).map(() => (rnd() < 0.6 ? 1 : rnd() < 0.5 ? 0 : rnd() * 2));
      const ph = 1 + Math.floor(rnd() * 3);
      const pw = 1 + Math.floor(rnd() * 6);
      const constant = compilePattern({ ones: [ph, pw] });
      const general = compilePattern(Array.from({ length: ph }, () => new Array<number>(pw).fill(1)));
      general.constant = null; // force the direct path
      for (const thr of [0.5, 1.5, 3]) {
        const a = new Uint8Array(h * w);
        const b = new Uint8Array(h * w);
        markMatches(src, 0, h, w, constant, thr, a, 0, scratch);
        markMatches(src, 0, h, w, general, thr, b, 0, scratch);
        expect(Array.from(a)).toEqual(Array.from(b));
        const direct = matchTemplateSqdiff(src, h, w, constant);
        expect(containsPattern(src, 0, h, w, constant, thr, scratch)).toBe(direct.values.some((v) => v < thr));
      }
    }
  });
});
