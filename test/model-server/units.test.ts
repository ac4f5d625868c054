import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseImageRef } from '@/backend/model-server/image-ref';
import { explainPullFailure } from '@/backend/model-server/image';
import { buildRequests, batchSize, encodeInt32Ascii } from '@/backend/inference/oip-request';
import { compareFlags, splitOutputs } from '@/backend/inference/per-lumisection';
import { demuxDockerStream } from '@/backend/engine/streams';
import { serverSpec } from '@/backend/model-server/server-spec';

describe('image references', () => {
  it.each([
    [
      'seldonio/mlserver:1.5.0',
      { registry: undefined, repository: 'seldonio/mlserver', tag: '1.5.0', registryHost: 'docker.io', baseName: 'mlserver' },
    ],
    [
      'registry.cern.ch/docker.io/seldonio/mlserver:1.5.0',
      { registry: 'registry.cern.ch', repository: 'docker.io/seldonio/mlserver', tag: '1.5.0', baseName: 'mlserver' },
    ],
    ['localhost:5000/mlserver:1.5.0', { registry: 'localhost:5000', repository: 'mlserver', tag: '1.5.0' }],
    [
      'my.host:5000/team/model',
      { registry: 'my.host:5000', repository: 'team/model', tag: undefined, full: 'my.host:5000/team/model:latest' },
    ],
    ['nvcr.io/nvidia/tritonserver:23.05-py3', { registry: 'nvcr.io', repository: 'nvidia/tritonserver', tag: '23.05-py3' }],
    ['ubuntu', { registry: undefined, repository: 'ubuntu', full: 'ubuntu:latest' }],
  ])('%s', (ref, expected) => {
    expect(parseImageRef(ref)).toMatchObject(expected);
  });

  it('rejects malformed names with the reason', () => {
    expect(() => parseImageRef('Seldonio/MLServer:1.5')).toThrow(/name part "Seldonio" must be lowercase/);
    expect(() => parseImageRef('host:5000/x:bad tag')).toThrow(/tag "bad tag"/);
    expect(() => parseImageRef('')).toThrow(/empty/);
  });

  it('explains an offline pull and names local look-alikes', () => {
    const e = explainPullFailure(
      parseImageRef('seldonio/mlserver:1.5.0'),
      'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      [{ ref: 'registry.cern.ch/docker.io/seldonio/mlserver:1.5.0', id: 'sha256:1', sizeBytes: 1, created: '' }],
    );
    expect(e.code).toBe('IMAGE_NOT_AVAILABLE');
    expect(e.message).toContain('docker.io cannot be reached from this machine');
    expect(e.message).toContain('docker tag registry.cern.ch/docker.io/seldonio/mlserver:1.5.0 seldonio/mlserver:1.5.0');
  });
});

describe('DIALS-style Open Inference Protocol requests', () => {
  const sig = [
    { name: 'A', dataType: 'INT32', dims: [-1, 2, 3] },
    { name: 'B', dataType: 'INT32', dims: [-1, 1, 2] },
  ];
  const meta = [
    { name: 'oms__pileup', dataType: 'FP32', dims: [-1], meta: 'oms', attribute: 'pileup', endpoint: 'lumisections' },
    { name: 'oms__ready', dataType: 'BOOL', dims: [-1], meta: 'oms', attribute: 'ready', endpoint: 'lumisections' },
  ];
  const data = {
    n: 3,
    maps: [Float64Array.from({ length: 18 }, (_, i) => i + 0.7), Int32Array.from([1, 2, 3, 4, 5, 6])],
    metadata: { oms__pileup: [30.5, null, 12], oms__ready: [true, false, null] },
  };

  it('one input per signature entry ([N, ny, nx], INT32, flattened) then one per metadata attribute', () => {
    const [b] = buildRequests(sig, meta, data);
    const body = JSON.parse(Buffer.from(b.body).toString('utf8'));
    expect(body.inputs).toEqual([
      { name: 'A', shape: [3, 2, 3], datatype: 'INT32', data: Array.from({ length: 18 }, (_, i) => i) },
      { name: 'B', shape: [3, 1, 2], datatype: 'INT32', data: [1, 2, 3, 4, 5, 6] },
      { name: 'oms__pileup', shape: [3], datatype: 'FP32', data: [30.5, 0, 12] },
      { name: 'oms__ready', shape: [3], datatype: 'BOOL', data: [true, false, false] },
    ]);
  });

  it('writes INT32 data as numpy astype(int32) would (truncate, wrap)', () => {
    const v = [0, -0, 1.7, -1.7, 2147483647, -2147483648, 99999, 3.2e9, 10, -10];
    expect(Buffer.from(encodeInt32Ascii(v, 0, v.length)).toString()).toBe(Array.from(Int32Array.from(v)).join(','));
    expect(Buffer.from(encodeInt32Ascii(v, 2, 4)).toString()).toBe('1,-1');
    expect(encodeInt32Ascii(v, 3, 3).length).toBe(0);
  });

  it('batches large N by a value budget, keeping LS order', () => {
    expect(batchSize(sig, 16)).toBe(2);
    const batches = buildRequests(sig, meta, data, 16);
    expect(batches.map((b) => [b.start, b.n])).toEqual([
      [0, 2],
      [2, 1],
    ]);
    const second = JSON.parse(Buffer.from(batches[1].body).toString('utf8'));
    expect(second.inputs[1].data).toEqual([5, 6]);
    expect(second.inputs[2].data).toEqual([12]);
  });

  it('splits outputs per LS and lists flag disagreements', () => {
    const { perLs, unbatched } = splitOutputs(
      [
        { name: 'Flag', shape: [3], datatype: 'BOOL', data: [true, false, true] },
        { name: 'Map', shape: [3, 2], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] },
        { name: 'Summary', shape: [1], datatype: 'FP32', data: [9] },
      ],
      3,
    );
    expect(perLs[2]).toEqual({ Flag: true, Map: [5, 6] });
    expect(unbatched).toEqual(['Summary']);
    expect(compareFlags([true, false, 1], [true, true, true], [5, 5, 5], [1, 2, 3])).toEqual({
      compared: 3,
      agree: 2,
      disagreements: [{ index: 1, run: 5, ls: 2, server: false, preview: true }],
    });
  });
});

describe('log demultiplexing', () => {
  it('splits docker frames into stdout/stderr lines, across chunk boundaries', async () => {
    const frame = (type: number, text: string) => {
      const body = Buffer.from(text);
      const h = Buffer.alloc(8);
      h[0] = type;
      h.writeUInt32BE(body.length, 4);
      return Buffer.concat([h, body]);
    };
    const all = Buffer.concat([frame(1, 'hello\nwor'), frame(2, 'oops\n'), frame(1, 'ld\n'), frame(1, 'tail')]);
    const s = new PassThrough();
    const lines: string[] = [];
    const done = demuxDockerStream(s, (stream, text) => lines.push(`${stream}:${text}`));
    for (let i = 0; i < all.length; i += 5) s.write(all.subarray(i, i + 5));
    s.end();
    await done;
    expect(lines).toEqual(['stdout:hello', 'stderr:oops', 'stdout:world', 'stdout:tail']);
  });
});

describe('server spec (what start-api runs)', () => {
  const resource = (framework: 'MLServer' | 'Tritonserver', props: Record<string, unknown> = {}) => ({
    key: 'Res',
    type: `InferenceService::${framework}::X`,
    framework,
    model: 'X',
    properties: { Name: 'my-model', ...props },
  });
  it('MLServer: mlserver start /mnt/<Name>, build/<Key> mounted there, 8080, UID 1000', () => {
    const s = serverSpec('/p', resource('MLServer'));
    expect(s).toMatchObject({
      image: 'seldonio/mlserver:1.5.0',
      imageSource: 'default',
      cmd: ['mlserver', 'start', '/mnt/my-model'],
      mountPath: '/mnt/my-model',
      resourceDir: '/p/.dism-artifacts/build/Res',
      containerPort: 8080,
      defaultHostPort: 8080,
      runsAsUid: 1000,
      env: ['PYTHONDONTWRITEBYTECODE=1'],
    });
  });
  it('Triton: tritonserver --model-repository=/models/model-repository on 8000', () => {
    const s = serverSpec('/p', resource('Tritonserver'));
    expect(s).toMatchObject({
      image: 'nvcr.io/nvidia/tritonserver:23.05-py3',
      cmd: ['tritonserver', '--model-repository=/models/model-repository'],
      mountPath: '/models/model-repository',
      containerPort: 8000,
    });
    expect(s.runsAsUid).toBeUndefined();
  });
  it('image: chosen here › Properties.Image › framework default', () => {
    expect(serverSpec('/p', resource('MLServer', { Image: 'registry.cern.ch/docker.io/seldonio/mlserver:1.5.0' }))).toMatchObject({
      image: 'registry.cern.ch/docker.io/seldonio/mlserver:1.5.0',
      imageSource: 'template',
    });
    expect(serverSpec('/p', resource('MLServer', { Image: 'x/y:1' }), 'local/mirror:1')).toMatchObject({
      image: 'local/mirror:1',
      imageSource: 'option',
    });
  });
});
