import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decompress, detectCompression, readModelFile } from './model-file';
import { dtypeItemSize, PickleScanError, scanPickle } from './pickle-scan';

/**
 * Fixtures: test/fixtures/pickles, written by make_pickles.py (plain pickles with the host's
 * python3, joblib files in the Debian stand-in image). expected-*.json holds what Python's own
 * unpickler asked find_class for while loading each file back: the scan must name exactly those.
 */
const DIR = path.resolve(__dirname, '../../test/fixtures/pickles');
const expectedPlain = JSON.parse(readFileSync(path.join(DIR, 'expected-plain.json'), 'utf8')) as Record<
  string,
  { protocol: number; globals: string[] }
>;
const expectedJoblib = JSON.parse(readFileSync(path.join(DIR, 'expected-joblib.json'), 'utf8')) as Record<
  string,
  { protocol: number; globals: string[]; arrays: number; sklearn: string; compress: string }
>;

const names = (s: ReturnType<typeof scanPickle>) => s.references.map((r) => `${r.module}.${r.name}`).sort();

describe('pickle opcode scan: plain pickles, protocols 0–5', () => {
  for (const [file, exp] of Object.entries(expectedPlain)) {
    it(`${file}: every module.name Python's unpickler imports, and nothing else`, () => {
      const s = scanPickle(readFileSync(path.join(DIR, file)));
      expect(names(s)).toEqual(exp.globals);
      expect(s.protocol).toBe(exp.protocol);
      expect(s.rootType).toBe('dict');
      expect(s.notes).toEqual([]);
    });
  }

  it('gives the object-graph path of each class (shortest first)', () => {
    const s = scanPickle(readFileSync(path.join(DIR, 'plain_p4.pickle')));
    const box = s.references.find((r) => r.name === 'Box')!;
    expect(box.module).toBe('fixturepkg.shapes');
    expect(box.paths).toEqual(["model['boxes'][0]", "model['boxes'][1]", "model['boxes'][2]"]);
    expect(s.references.find((r) => r.name === 'Registry')!.paths).toEqual(["model['registry']"]);
    expect(s.references.find((r) => r.name === 'helper')!.paths).toEqual(["model['func']"]);
    expect(s.references.find((r) => r.name === 'WithNewArgs')!.paths).toEqual(["model['newargs']"]);
    // memo reuse (the same Box twice) is one reference
    expect(box.count).toBe(1);
  });

  it('a truncated stream is an error with the byte offset, not a crash', () => {
    const data = readFileSync(path.join(DIR, 'truncated.pickle'));
    expect(() => scanPickle(data)).toThrow(PickleScanError);
    expect(() => scanPickle(data)).toThrow(/ends/);
  });

  it('refuses what is not a pickle in plain words', () => {
    expect(() => scanPickle(new TextEncoder().encode('hello'))).toThrow(/not a pickle stream \(it starts with byte 0x68\)/);
    expect(() => scanPickle(Uint8Array.of(0x80, 6))).toThrow(/protocol 6/);
  });
});

describe('pickle opcode scan: joblib files', () => {
  for (const [file, exp] of Object.entries(expectedJoblib)) {
    it(`${file} (${exp.compress}): classes, arrays after each NumpyArrayWrapper, sklearn version`, async () => {
      const raw = readFileSync(path.join(DIR, file));
      expect(detectCompression(raw)).toBe(exp.compress === 'none' ? 'none' : exp.compress);
      const m = await readModelFile(path.join(DIR, file));
      if (['bz2', 'lzma', 'xz'].includes(exp.compress)) {
        // Node has no decoder: the check decompresses these in the runtime image (model-check.test.ts).
        expect(m).toEqual({ kind: 'needs-image', compression: exp.compress });
        return;
      }
      expect(m.kind).toBe('pickle');
      const s = scanPickle((m as { streams: Array<{ data: Uint8Array }> }).streams[0].data);
      expect(names(s)).toEqual(exp.globals);
      expect(s.protocol).toBe(exp.protocol);
      expect(s.joblibArrays.count).toBe(exp.arrays);
      expect(s.joblibArrays.aligned).toBe(true); // joblib 1.2 pads arrays to 8 bytes
      expect(s.sklearnVersions.map((v) => [v.version, v.classes])).toEqual([[exp.sklearn, ['sklearn.decomposition._nmf.NMF']]]);
      expect(s.sklearnVersions[0].paths).toEqual(["model['nmf']"]);
      // a class inside an object array (a nested pickle after its wrapper) is found through the array
      expect(s.references.find((r) => r.name === 'Box')!.paths).toEqual(["model['box']", "model['box'].content['objects'][0]"]);
      expect(s.rootType).toBe('dict');
    });
  }

  it('the array bytes are skipped exactly: one byte less or more and the stream no longer parses', () => {
    const data = readFileSync(path.join(DIR, 'joblib_p4.joblib'));
    const s = scanPickle(data);
    expect(s.length).toBe(data.length);
    // Cut out one byte of the first array's data: the scan must fail, not silently resync.
    const at = data.indexOf(Buffer.from('numpy_array_alignment_bytes')) + 60;
    const damaged = Buffer.concat([data.subarray(0, at), data.subarray(at + 1)]);
    expect(() => scanPickle(damaged)).toThrow(PickleScanError);
  });

  it('numpy item sizes', () => {
    expect(dtypeItemSize('<f8')).toBe(8);
    expect(dtypeItemSize('|b1')).toBe(1);
    expect(dtypeItemSize('<U3')).toBe(12);
    expect(dtypeItemSize('|S5')).toBe(5);
    expect(dtypeItemSize('>c16')).toBe(16);
    expect(dtypeItemSize('<M8')).toBe(8);
  });

  it('decompress: zlib and gzip in Node; bz2/lzma/xz/lz4 need the image', () => {
    expect(decompress(Uint8Array.of(1), 'bz2')).toBeNull();
    expect(decompress(Uint8Array.of(1), 'lz4')).toBeNull();
  });
});
