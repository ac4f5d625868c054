/**
 * TEST STAND-IN for `tritonserver` (Triton Inference Server 2.34.0, container release 23.05).
 * See test/stand-ins/triton/README.md: what it imitates, and what it does not.
 *
 *   tritonserver --model-repository=<dir> [--model-repository=<dir> …] [options]
 *
 * Start-up follows the real server: load every model of the repository, print the repository
 * agent, backend and model tables and the options table, and — when a model failed and
 * --exit-on-error is true (the default) — stop with "error: creating server: Internal - failed to
 * load all models" and exit code 1. Otherwise serve HTTP on --http-port (8000) until SIGINT or
 * SIGTERM.
 */
import type http from 'node:http';
import { SERVER_EXTENSIONS, SERVER_VERSION, startHttp } from './http';
import { info, logOptions, table, warn, error as logError } from './log';
import { ModelRepository } from './repository';

interface Params {
  repositories: string[];
  strictModelConfig: boolean;
  controlMode: 'none' | 'poll' | 'explicit';
  startupModels: string[];
  exitOnError: boolean;
  strictReadiness: boolean;
  httpPort: number;
  httpAddress: string;
  allowHttp: boolean;
  exitTimeoutSecs: number;
  id: string;
  backendConfig: string[];
}

class UsageError extends Error {}

const BOOL_OPTIONS = new Set([
  'strict-model-config',
  'exit-on-error',
  'strict-readiness',
  'allow-http',
  'allow-grpc',
  'allow-metrics',
  'allow-gpu-metrics',
  'allow-cpu-metrics',
  'log-info',
  'log-warning',
  'log-error',
  'reuse-http-port',
  'reuse-grpc-port',
  'allow-sagemaker',
  'allow-vertex-ai',
  'model-namespacing',
  'grpc-use-ssl',
  'grpc-use-ssl-mutual',
]);
/** Options the real server takes that change nothing the stand-in does (GPU, gRPC, metrics, tracing, caches, tuning). */
const ACCEPTED_WITHOUT_EFFECT = new Set([
  'grpc-port',
  'grpc-address',
  'grpc-header-forward-pattern',
  'grpc-infer-allocation-pool-size',
  'grpc-use-ssl',
  'grpc-use-ssl-mutual',
  'grpc-server-cert',
  'grpc-server-key',
  'grpc-root-cert',
  'grpc-keepalive-time',
  'grpc-keepalive-timeout',
  'grpc-keepalive-permit-without-calls',
  'grpc-http2-max-pings-without-data',
  'grpc-http2-min-recv-ping-interval-without-data',
  'grpc-http2-max-ping-strikes',
  'grpc-restricted-protocol',
  'grpc-compression-level',
  'allow-grpc',
  'reuse-grpc-port',
  'metrics-port',
  'metrics-address',
  'metrics-interval-ms',
  'metrics-config',
  'allow-metrics',
  'allow-gpu-metrics',
  'allow-cpu-metrics',
  'http-thread-count',
  'http-header-forward-pattern',
  'http-restricted-api',
  'reuse-http-port',
  'allow-sagemaker',
  'sagemaker-port',
  'sagemaker-safe-port-range',
  'sagemaker-thread-count',
  'allow-vertex-ai',
  'vertex-ai-port',
  'vertex-ai-thread-count',
  'vertex-ai-default-model',
  'trace-file',
  'trace-level',
  'trace-rate',
  'trace-count',
  'trace-log-frequency',
  'trace-config',
  'pinned-memory-pool-byte-size',
  'cuda-memory-pool-byte-size',
  'cuda-virtual-address-size',
  'min-supported-compute-capability',
  'buffer-manager-thread-count',
  'model-load-thread-count',
  'model-load-gpu-limit',
  'rate-limit',
  'rate-limit-resource',
  'response-cache-byte-size',
  'cache-config',
  'cache-directory',
  'backend-directory',
  'repoagent-directory',
  'host-policy',
  'model-namespacing',
  'log-file',
  'log-format',
  'repository-poll-secs',
]);
const VALUE_OPTIONS = new Set([
  ...ACCEPTED_WITHOUT_EFFECT,
  'model-repository',
  'model-store',
  'model-control-mode',
  'load-model',
  'exit-on-error',
  'strict-readiness',
  'strict-model-config',
  'http-port',
  'http-address',
  'allow-http',
  'log-verbose',
  'log-info',
  'log-warning',
  'log-error',
  'exit-timeout-secs',
  'id',
  'backend-config',
]);

function parseBool(v: string): boolean {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'on' || l === '1') return true;
  if (l === 'false' || l === 'off' || l === '0') return false;
  throw new UsageError(`invalid value for bool option: ${v}`);
}

function parseInt32(v: string): number {
  if (!/^[+-]?\d+$/.test(v.trim())) throw new UsageError(`invalid argument: ${v}`);
  return Number(v);
}

function parseArgs(argv: string[]): Params {
  const p: Params = {
    repositories: [],
    strictModelConfig: false,
    controlMode: 'none',
    startupModels: [],
    exitOnError: true,
    strictReadiness: true,
    httpPort: 8000,
    httpAddress: '0.0.0.0',
    allowHttp: true,
    exitTimeoutSecs: 30,
    id: 'triton',
    backendConfig: [],
  };
  let strictPresent = false;
  let disableAutoComplete = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`Unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (name === 'disable-auto-complete-config') {
      disableAutoComplete = true;
      continue;
    }
    if (name === 'help') throw new UsageError('');
    if (!VALUE_OPTIONS.has(name)) {
      process.stderr.write(`tritonserver: unrecognized option '--${name}'\n`);
      throw new UsageError('');
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else {
      process.stderr.write(`tritonserver: option '--${name}' requires an argument\n`);
      throw new UsageError('');
    }
    if (BOOL_OPTIONS.has(name)) parseBool(value);
    switch (name) {
      case 'model-repository':
      case 'model-store':
        if (!p.repositories.includes(value)) p.repositories.push(value);
        break;
      case 'strict-model-config':
        strictPresent = true;
        process.stderr.write(
          "Warning: '--strict-model-config' has been deprecated! Please use '--disable-auto-complete-config' instead.\n",
        );
        p.strictModelConfig = parseBool(value);
        break;
      case 'model-control-mode':
        if (value !== 'none' && value !== 'poll' && value !== 'explicit') throw new UsageError('invalid argument for --model-control-mode');
        p.controlMode = value;
        break;
      case 'load-model':
        p.startupModels.push(value);
        break;
      case 'exit-on-error':
        p.exitOnError = parseBool(value);
        break;
      case 'strict-readiness':
        p.strictReadiness = parseBool(value);
        break;
      case 'http-port':
        p.httpPort = parseInt32(value);
        break;
      case 'http-address':
        p.httpAddress = value;
        break;
      case 'allow-http':
        p.allowHttp = parseBool(value);
        break;
      case 'log-verbose':
        logOptions.verbose = parseInt32(value);
        break;
      case 'log-info':
        logOptions.info = parseBool(value);
        break;
      case 'log-warning':
        logOptions.warning = parseBool(value);
        break;
      case 'log-error':
        logOptions.error = parseBool(value);
        break;
      case 'exit-timeout-secs':
        p.exitTimeoutSecs = parseInt32(value);
        break;
      case 'id':
        p.id = value;
        break;
      case 'backend-config':
        p.backendConfig.push(value);
        break;
      default:
        break;
    }
  }
  if (disableAutoComplete) {
    if (strictPresent && !p.strictModelConfig)
      process.stderr.write(
        "Warning: Overriding deprecated '--strict-model-config' from False to True in favor of '--disable-auto-complete-config'!\n",
      );
    p.strictModelConfig = true;
  }
  return p;
}

function usage(): string {
  return [
    'Usage: tritonserver [options]',
    '  TEST STAND-IN (dism-test/tritonserver): options with an effect here:',
    '  --model-repository <string>   (also --model-store; repeatable)',
    '  --model-control-mode <none|poll|explicit>   --load-model <string>',
    '  --disable-auto-complete-config   --strict-model-config <boolean> (deprecated)',
    '  --exit-on-error <boolean>   --strict-readiness <boolean>   --exit-timeout-secs <integer>',
    '  --http-port <integer>   --http-address <string>   --allow-http <boolean>',
    '  --log-verbose <integer>   --log-info <boolean>   --log-warning <boolean>   --log-error <boolean>   --id <string>',
    "  The real server's other options are accepted and have no effect (gRPC, metrics, GPU, tracing, caches).",
  ].join('\n');
}

function printSummary(repo: ModelRepository, p: Params): void {
  info('server.cc:582', table(['Repository Agent', 'Path'], []));
  const cmdline = JSON.stringify({
    cmdline: {
      'auto-complete-config': String(!p.strictModelConfig),
      'backend-directory': '/opt/tritonserver/backends',
      'min-compute-capability': '6.000000',
      'default-max-batch-size': '4',
    },
  });
  info(
    'server.cc:609',
    table(
      ['Backend', 'Path', 'Config'],
      [...repo.backends.values()].map((b) => [b.name, b.path, cmdline]),
    ),
  );
  const rows: string[][] = [];
  for (const m of repo.states()) {
    if (!m.versions.length) rows.push([m.name, '-', 'Not loaded: No model version was found']);
    for (const [v, st] of m.versions) rows.push([m.name, String(v), st.reason ? `${st.state}: ${st.reason}` : st.state]);
  }
  info('server.cc:652', table(['Model', 'Version', 'Status'], rows));
  const options: string[][] = [
    ['server_id', p.id],
    ['server_version', SERVER_VERSION],
    ['server_extensions', SERVER_EXTENSIONS.join(' ')],
    ...p.repositories.map((r, i) => [`model_repository_path[${i}]`, r]),
    ['model_control_mode', `MODE_${p.controlMode.toUpperCase()}`],
    ...p.startupModels.map((m, i) => [`startup_models_${i}`, m]),
    ['strict_model_config', p.strictModelConfig ? '1' : '0'],
    ['rate_limit', 'OFF'],
    ['pinned_memory_pool_byte_size', '268435456'],
    ['min_supported_compute_capability', '6.0'],
    ['strict_readiness', p.strictReadiness ? '1' : '0'],
    ['exit_timeout', String(p.exitTimeoutSecs)],
    ['cache_enabled', '0'],
  ];
  info('tritonserver.cc:2385', table(['Option', 'Value'], options));
}

async function stopServer(repo: ModelRepository, p: Params): Promise<void> {
  info('server.cc:283', 'Waiting for in-flight requests to complete.');
  info('server.cc:299', `Timeout ${p.exitTimeoutSecs}: Found 0 model versions that have in-flight inferences`);
  info('server.cc:314', 'All models are stopped, unloading models');
  const live = repo.states().filter((m) => m.versions.some(([, v]) => v.state === 'READY')).length;
  info('server.cc:321', `Timeout ${p.exitTimeoutSecs}: Found ${live} live models and 0 in-flight non-inference requests`);
  await repo.unloadAll();
  if (live) info('server.cc:321', `Timeout ${p.exitTimeoutSecs - 1}: Found 0 live models and 0 in-flight non-inference requests`);
}

async function main(): Promise<void> {
  let p: Params;
  try {
    p = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`${err.message}\n`);
    process.stderr.write(`${usage()}\n`);
    process.exit(1);
  }
  warn(
    'tritonserver.cc:1',
    'TEST STAND-IN: this is dism-test/tritonserver, a stand-in for nvcr.io/nvidia/tritonserver built for DISM Studio tests (ONNX Runtime and Python backends only, HTTP only); see test/stand-ins/triton/README.md',
  );
  if (p.backendConfig.length)
    warn('tritonserver.cc:1', `TEST STAND-IN: --backend-config is accepted and ignored (${p.backendConfig.join(', ')})`);
  if (p.controlMode === 'poll')
    warn(
      'tritonserver.cc:1',
      'TEST STAND-IN: --model-control-mode=poll loads the repository once at start-up; later changes are not picked up',
    );

  const repo = new ModelRepository({
    repositories: p.repositories,
    strictModelConfig: p.strictModelConfig,
    controlMode: p.controlMode,
    startupModels: p.startupModels,
  });
  let serverReady = false;
  let failure: string | undefined;
  if (p.repositories.length === 0) {
    failure = 'Invalid argument - --model-repository must be specified';
  } else {
    const { allPolled, added } = await repo.poll();
    const loaded = await repo.loadAll(added);
    serverReady = true;
    printSummary(repo, p);
    if (!allPolled || !loaded) failure = 'Internal - failed to load all models';
  }
  if (failure) {
    if (p.exitOnError || !serverReady) {
      if (serverReady) await stopServer(repo, p);
      process.stderr.write(`error: creating server: ${failure}\n`);
      process.exit(1);
    }
    logError('tritonserver.cc:2394', failure.replace(' - ', ': '));
  }

  const state = { repo, ready: () => serverReady, strictReadiness: p.strictReadiness, serverId: p.id };
  let server: http.Server | undefined;
  if (p.allowHttp) {
    try {
      server = await startHttp(state, p.httpPort, p.httpAddress);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      logError(
        'main.cc:253',
        `failed to start HTTP service: Unavailable - ${code === 'EADDRINUSE' ? `Socket '${p.httpAddress}:${p.httpPort}' already in use ` : (err as Error).message}`,
      );
      process.exit(1);
    }
    info('http_server.cc:3555', `Started HTTPService at ${p.httpAddress}:${p.httpPort}`);
  }
  warn('tritonserver.cc:1', 'TEST STAND-IN: the GRPC (8001) and metrics (8002) endpoints are not served');

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const num = signal === 'SIGINT' ? 2 : 15;
    process.stdout.write(`Signal (${num}) received.\n`);
    if (stopping) return;
    stopping = true;
    serverReady = false;
    void (async () => {
      await stopServer(repo, p);
      server?.closeAllConnections();
      server?.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err) => {
  process.stderr.write(`error: TEST STAND-IN internal error: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
