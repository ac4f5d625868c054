import { isMainThread } from 'node:worker_threads';

/**
 * No telemetry: onnxruntime (1.2x on Linux) records events about every session it creates — the
 * model's graph and producer names, device usage, timings — in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db and uploads them to Microsoft's
 * collector. Nothing about a CMS model may leave the machine. onnxruntime reads the switch from the
 * process environment when it initialises (at the first session); a worker thread's process.env is a
 * copy native code never sees, so it is set by the main thread, before any worker starts.
 *
 * A module of its own (without onnxruntime) so a thread that only starts the inference thread
 * (the CLI's preview) sets it without loading onnxruntime itself.
 */
if (isMainThread) process.env.ORT_DISABLE_TELEMETRY = '1';
