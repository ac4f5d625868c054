import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compilePattern,
  containsPattern,
  markMatches,
  markThresholdMatches,
  matchTemplateSqdiff,
  MatchScratch,
  minOnesForBinaryMatch,
} from '@/shared/pipeline/pattern-match';

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

  it("clustering's row-block path marks exactly the windows the general path marks (random loss maps, NaN, edges)", () => {
    const loss = fc.double({ min: 0, max: 0.1, noNaN: true });
    const mapArb = fc.record({ h: fc.integer({ min: 1, max: 12 }), w: fc.integer({ min: 1, max: 20 }) }).chain(({ h, w }) =>
      fc.record({
        h: fc.constant(h),
        w: fc.constant(w),
        // mostly below 0.04, with clusters above it and NaN bins (empty maps)
        values: fc.array(
          fc.oneof({ weight: 6, arbitrary: loss }, { weight: 3, arbitrary: fc.constant(0.05) }, { weight: 1, arbitrary: fc.constant(NaN) }),
          {
            minLength: h * w,
            maxLength: h * w,
          },
        ),
        pr: fc.integer({ min: 1, max: 4 }),
        pc: fc.integer({ min: 1, max: 18 }),
        filter: fc.constantFrom(0.5, 1.5, 2.5, 4.5),
        offset: fc.integer({ min: 0, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(mapArb, ({ h, w, values, pr, pc, filter, offset }) => {
        const thr = 0.04;
        const p = compilePattern({ ones: [pr, pc] });
        const minOnes = minOnesForBinaryMatch(p, filter);
        if (minOnes === null) return;
        const src = new Float32Array(offset + h * w);
        src.set(values, offset);
        const binary = new Uint8Array(h * w).map((_, k) => (src[offset + k] > thr ? 1 : 0));
        const expected = new Uint8Array(h * w + 2);
        markMatches(binary, 0, h, w, p, filter, expected, 1, new MatchScratch(h, w));
        // out already holds ones from another threshold: they stay
        const got = new Uint8Array(h * w + 2);
        got[0] = 1;
        expected[0] = 1;
        markThresholdMatches(src, offset, thr, h, w, p, minOnes, got, 1, new MatchScratch(1, 1));
        expect(Array.from(got)).toEqual(Array.from(expected));
      }),
      { numRuns: 3000 },
    );
  });

  it("clustering's row-block path at its boundaries: a window with exactly minOnes ones matches, one fewer does not", () => {
    // 3 × 6, pattern 2 × 3 allowing one zero (minOnes 5)
    const p = compilePattern({ ones: [2, 3] });
    const minOnes = minOnesForBinaryMatch(p, 1.5)!;
    expect(minOnes).toBe(5);
    const at = (hot: number[]) => {
      const v = new Float32Array(18).fill(0.01);
      for (const k of hot) v[k] = 0.0400001;
      const out = new Uint8Array(18);
      markThresholdMatches(v, 0, 0.04, 3, 6, p, minOnes, out, 0, new MatchScratch(3, 6));
      return Array.from(out);
    };
    // five ones in the bottom-right window (rows 1–2, columns 3–5): it is marked whole
    expect(at([9, 10, 11, 15, 16])).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]);
    // four: nothing
    expect(at([9, 10, 15, 16]).every((x) => x === 0)).toBe(true);
    // a value equal to the threshold is not above it
    const eq = new Float32Array(18).fill(0.04);
    const out = new Uint8Array(18);
    markThresholdMatches(eq, 0, Math.fround(0.04), 3, 6, p, minOnes, out, 0, new MatchScratch(3, 6));
    expect(out.every((x) => x === 0)).toBe(true);
  });
});
