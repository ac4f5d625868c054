import type { z } from 'zod';
import { appMethods } from './app';
import { engineMethods, EngineStatus } from './engine';
import { jobMethods, JobSnapshot, JobChunk } from './job-kinds';
import { JobLogLine } from './jobs';
import { projectMethods } from './projects';
import { dismcliMethods } from './dismcli';
import { exportMethods } from './export';
import { templateMethods } from './template';
import { modelServerMethods } from './model-server';
import { pipelineMethods } from './pipeline';
import { modelMethods } from './models';
import { modelCheckMethods } from './model-check';
import { dialsMethods } from './dials';
import { inspectMethods } from './inspect';

/**
 * The one API between UI and back end. Each domain contributes a `<domain>Methods` record in its
 * own file; add it here. The back end validates every input against these schemas; the contract
 * tests check every output against them.
 */
export const methods = {
  ...appMethods,
  ...engineMethods,
  ...jobMethods,
  ...projectMethods,
  ...dismcliMethods,
  ...exportMethods,
  ...templateMethods,
  ...modelServerMethods,
  ...pipelineMethods,
  ...modelMethods,
  ...modelCheckMethods,
  ...dialsMethods,
  ...inspectMethods,
};

/** Server → UI push events; the renderer checks each against its schema when it arrives (create-api.ts). */
export const events = {
  'engine.status': EngineStatus,
  'job.update': JobSnapshot,
  'job.log': JobLogLine,
  'job.chunk': JobChunk,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.infer<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

export * from './app';
export * from './engine';
export * from './jobs';
export * from './job-kinds';
export * from './projects';
export * from './dismcli';
export * from './export';
export * from './template';
export * from './model-server';
export * from './models';
export * from './model-check';
export * from './dials';
export * from './inspect';
