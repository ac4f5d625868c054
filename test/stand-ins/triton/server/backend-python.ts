/**
 * TEST STAND-IN for Triton's Python backend (python_backend r23.05): each model instance is a
 * `python3` stub process (backends/python/stub.py) that imports `<version>/model.py` as the real
 * stub does, calls `TritonPythonModel.initialize(args)` and `execute(requests)`, and talks to this
 * server over two pipes (the real one uses shared memory). What the model prints goes to the
 * container log, as with the real stub.
 *
 * Frame on the pipes: u32 header length, u32 payload length (little-endian), JSON header, payload.
 * Tensors in a header carry `offset`/`length` into the payload (raw little-endian element bytes;
 * BYTES tensors use Triton's serialisation: u32 length + bytes per element).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Backend, BackendModel, ModelContext } from './backend';
import { info } from './log';
import { modelConfigJson, str, TritonError } from './model-config';
import { tensorFromBytes, tensorToBytes, type NormalizedRequest, type Tensor } from './infer';

export const PYTHON_BACKEND_DIR = process.env.TRITON_STANDIN_PYTHON_BACKEND_DIR ?? '/opt/tritonserver/backends/python';

interface WireTensor {
  name: string;
  datatype: string;
  shape: number[];
  offset: number;
  length: number;
}

function encode(header: Record<string, unknown>, tensors: Tensor[] = []): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const wire: WireTensor[] = tensors.map((t) => {
    const b = tensorToBytes(t);
    parts.push(b);
    const w = { name: t.name, datatype: t.datatype, shape: t.shape, offset, length: b.length };
    offset += b.length;
    return w;
  });
  const h = Buffer.from(JSON.stringify({ ...header, ...(tensors.length ? { tensors: wire } : {}) }), 'utf8');
  const lens = Buffer.alloc(8);
  lens.writeUInt32LE(h.length, 0);
  lens.writeUInt32LE(offset, 4);
  return Buffer.concat([lens, h, ...parts]);
}

function decodeTensors(list: WireTensor[] | undefined, payload: Buffer): Tensor[] {
  return (list ?? []).map((w) => ({
    name: w.name,
    datatype: w.datatype,
    shape: w.shape,
    data: tensorFromBytes(w.name, w.datatype, w.shape, payload.subarray(w.offset, w.offset + w.length)),
  }));
}

interface Reply {
  header: Record<string, unknown>;
  payload: Buffer;
}

/** One stub process (one model instance). Requests are answered in order. */
class Stub {
  private readonly proc: ChildProcess;
  private readonly toStub: Writable;
  private buffered = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private exited?: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly instanceName: string,
    modelFile: string,
    version: number,
  ) {
    this.proc = spawn('python3', ['-u', path.join(PYTHON_BACKEND_DIR, 'stub.py'), modelFile, String(version), instanceName], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONPATH: [PYTHON_BACKEND_DIR, process.env.PYTHONPATH].filter(Boolean).join(':') },
    });
    this.toStub = this.proc.stdio[3] as Writable;
    const fromStub = this.proc.stdio[4] as Readable;
    fromStub.on('data', (d: Buffer) => this.onData(d));
    this.toStub.on('error', () => undefined);
    this.proc.on('exit', (code, signal) => {
      this.exited = `the Python stub process of '${instanceName}' exited (${signal ?? `code ${code}`})`;
      for (const w of this.waiting.splice(0))
        w.reject(new TritonError('Internal', `Stub process '${instanceName}' is not healthy. ${this.exited}`));
    });
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    while (this.buffered.length >= 8) {
      const hl = this.buffered.readUInt32LE(0);
      const pl = this.buffered.readUInt32LE(4);
      if (this.buffered.length < 8 + hl + pl) return;
      const header = JSON.parse(this.buffered.subarray(8, 8 + hl).toString('utf8')) as Record<string, unknown>;
      const payload = Buffer.from(this.buffered.subarray(8 + hl, 8 + hl + pl));
      this.buffered = this.buffered.subarray(8 + hl + pl);
      this.waiting.shift()?.resolve({ header, payload });
    }
  }

  /** Sends one command and waits for its reply; commands are serialised per stub. */
  call(header: Record<string, unknown>, tensors: Tensor[] = []): Promise<Reply> {
    const run = () =>
      new Promise<Reply>((resolve, reject) => {
        if (this.exited) {
          reject(new TritonError('Internal', `Stub process '${this.instanceName}' is not healthy. ${this.exited}`));
          return;
        }
        this.waiting.push({ resolve, reject });
        this.toStub.write(encode(header, tensors));
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await Promise.race([this.call({ cmd: 'finalize' }).catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    this.proc.kill('SIGKILL');
  }
}

class PythonModel implements BackendModel {
  private readonly stubs: Stub[] = [];
  private next = 0;

  constructor(
    private readonly ctx: ModelContext,
    private readonly modelFile: string,
    private readonly autoCompleteStub?: Stub,
  ) {}

  async initInstances(instances: Array<{ name: string; kind: string }>): Promise<void> {
    await this.autoCompleteStub?.stop();
    for (const inst of instances) {
      info(
        'python_be.cc:2062',
        `TRITONBACKEND_ModelInstanceInitialize: ${inst.name} (${inst.kind === 'KIND_GPU' ? 'GPU' : 'CPU'} device 0)`,
      );
      const stub = new Stub(inst.name, this.modelFile, this.ctx.version);
      this.stubs.push(stub);
      const args = {
        model_config: JSON.stringify(modelConfigJson(this.ctx.config)),
        model_instance_kind: inst.kind === 'KIND_GPU' ? 'GPU' : 'CPU',
        model_instance_name: inst.name,
        model_instance_device_id: '0',
        model_repository: this.ctx.repositoryPath,
        model_version: String(this.ctx.version),
        model_name: this.ctx.name,
      };
      const r = await stub.call({ cmd: 'initialize', args });
      if (r.header.error) {
        info('pb_stub.cc:323', `Failed to initialize Python stub: ${String(r.header.error)}`);
        throw new TritonError('Internal', String(r.header.error));
      }
    }
  }

  async execute(req: NormalizedRequest): Promise<Tensor[]> {
    const stub = this.stubs[this.next++ % this.stubs.length];
    if (!stub) throw new TritonError('Internal', `model '${this.ctx.name}' has no instance`);
    const r = await stub.call(
      { cmd: 'execute', request_id: req.id, requested_output_names: req.requestedOutputs, parameters: req.parameters },
      req.inputs,
    );
    if (r.header.error) {
      const message = String(r.header.error);
      info('pb_stub.cc:663', `Failed to process the request(s) for model '${stub.instanceName}', message: ${message}`);
      throw new TritonError('Internal', `Failed to process the request(s) for model instance '${stub.instanceName}', message: ${message}`);
    }
    if (r.header.response_error) throw new TritonError('Internal', String(r.header.response_error));
    const outs = decodeTensors(r.header.tensors as WireTensor[] | undefined, r.payload);
    // Outputs the request did not ask for (or the config does not list) are dropped, as the stub prunes them.
    return req.requestedOutputs.map((n) => outs.find((o) => o.name === n)).filter((t): t is Tensor => t !== undefined);
  }

  async unload(): Promise<void> {
    await Promise.all(this.stubs.map((s) => s.stop()));
  }
}

export function pythonBackend(): Backend {
  return {
    name: 'python',
    path: '/opt/tritonserver/backends/python (TEST STAND-IN: python3 stub processes, Debian python3 + numpy)',
    async initModel(ctx: ModelContext): Promise<BackendModel> {
      info('python_be.cc:1890', `TRITONBACKEND_ModelInitialize: ${ctx.name} (version ${ctx.version})`);
      const modelFile = path.join(ctx.repositoryPath, String(ctx.version), str(ctx.config, 'default_model_filename') || 'model.py');
      if (
        !(await fs.stat(modelFile).then(
          () => true,
          () => false,
        ))
      ) {
        throw new TritonError('Internal', `model.py does not exist in the model repository path: ${modelFile}`);
      }
      if (!ctx.autoCompleteConfig) return new PythonModel(ctx, modelFile);
      // The real backend starts a stub just to import the model and run auto_complete_config.
      const stub = new Stub(`${ctx.name}_auto_complete`, modelFile, ctx.version);
      const r = await stub.call({ cmd: 'auto_complete', model_config: JSON.stringify(modelConfigJson(ctx.config)) });
      if (r.header.error) {
        await stub.stop();
        info('pb_stub.cc:255', `Failed to initialize Python stub for auto-complete: ${String(r.header.error)}`);
        throw new TritonError('Internal', String(r.header.error));
      }
      if (r.header.config) Object.assign(ctx.config, configFromJson(r.header.config as Record<string, unknown>, ctx.config));
      return new PythonModel(ctx, modelFile, stub);
    },
  };
}

/** Takes back what auto_complete_config may change: max_batch_size, inputs, outputs, dynamic_batching. */
function configFromJson(json: Record<string, unknown>, current: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof json.max_batch_size === 'number' && json.max_batch_size !== (current.max_batch_size ?? 0))
    out.max_batch_size = json.max_batch_size;
  for (const key of ['input', 'output'] as const) {
    const list = json[key];
    if (Array.isArray(list) && list.length !== ((current[key] as unknown[] | undefined)?.length ?? 0)) {
      out[key] = list.map((x: Record<string, unknown>) => ({
        name: x.name,
        data_type: x.data_type,
        dims: x.dims,
        ...(x.reshape ? { reshape: x.reshape } : {}),
        ...(x.optional ? { optional: true } : {}),
      }));
    }
  }
  if (json.dynamic_batching && current.dynamic_batching === undefined) out.dynamic_batching = {};
  return out;
}
