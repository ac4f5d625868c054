import path from 'node:path';
import type { z } from 'zod';
import type { MethodName, Methods } from '@/shared/api/contract';
import type { WriteTarget } from '../projects/opened-folders';
import type { BackendContext } from './types';

type Parsed<M extends MethodName> = z.infer<Methods[M]['input']>;

/**
 * What each API method writes outside the user-data folder, so the dispatcher can check every
 * target against the folders the user opened (OpenedFolders.assertWritable) before the handler runs.
 * Every method is listed (the type requires it): a new method must say what it writes.
 *   'nothing'   reads only, or writes only DISM Studio's own files in the user-data folder
 *   function    the paths it writes, resolved as its handler resolves them
 */
type Writes<M extends MethodName> = 'nothing' | ((input: Parsed<M>, ctx: BackendContext) => WriteTarget[]);

const templateFolder = (templateFile: string, what: string): WriteTarget[] => [{ path: path.dirname(path.resolve(templateFile)), what }];

export const WRITES: { [M in MethodName]: Writes<M> } = {
  'app.info': 'nothing',
  'app.copyText': 'nothing', // the clipboard, on the user's own machine (desktop app only)
  'engine.status': 'nothing',
  'engine.startPodmanService': 'nothing', // its socket goes to the user's runtime folder, not a project
  'engine.checkProjectLocation': 'nothing', // the probe container is created, never started, and removed
  'jobs.list': 'nothing',
  'jobs.get': 'nothing',
  'jobs.cancel': 'nothing',
  'jobs.logs': 'nothing',
  'projects.recent': 'nothing',
  // Opening a folder is what makes it writable; OpenedFolders.refusalToOpen says which cannot be opened.
  'projects.open': 'nothing',
  'projects.forget': 'nothing',
  'projects.pickFolder': 'nothing',
  'projects.copy': ({ to }) => [{ path: to, what: 'the copy of the project', kind: 'new-folder' }],
  'fs.listDir': 'nothing',
  'demo.open': 'nothing',

  'template.open': 'nothing',
  'template.diskState': 'nothing',
  'template.validate': 'nothing',
  'template.saveDraft': 'nothing', // drafts live in the user-data folder
  'template.discardDraft': 'nothing',
  'template.save': ({ projectDir, path: p }) => [{ path: path.resolve(projectDir, p), what: 'the template' }],
  'template.create': ({ projectDir, path: p }) => [{ path: path.resolve(projectDir, p), what: 'the new template' }],

  'dismcli.runner.get': 'nothing',
  'dismcli.runner.save': ({ projectDir }) => [{ path: projectDir, what: 'the dismcli runner recipe' }],
  'dismcli.runner.build': ({ projectDir }) => [{ path: projectDir, what: 'the dismcli runner image build' }],
  'dismcli.dials.get': 'nothing',
  'dismcli.dials.set': 'nothing', // a per-project setting in the user-data folder
  'dismcli.run': ({ projectDir, template }) => [
    { path: projectDir, what: 'dismcli (it writes .dism-artifacts)' },
    ...(template ? templateFolder(path.resolve(projectDir, template), 'dismcli (it writes .dism-artifacts next to the template)') : []),
  ],
  'dismcli.events': 'nothing',

  'export.summary': 'nothing',
  'export.run': ({ to }) => [{ path: to, what: 'the export', kind: 'export-target' }],

  'modelServer.buildLocal': ({ templateFile }) => templateFolder(templateFile, 'the local build (.dism-artifacts/build)'),
  'modelServer.buildState': 'nothing',
  'modelServer.start': ({ templateFile }) => templateFolder(templateFile, 'the model server run folder (.dism-studio/runs)'),
  'modelServer.stop': 'nothing', // its log goes to the run folder checked at start
  'modelServer.runs': 'nothing',
  'modelServer.get': 'nothing',
  'modelServer.localImages': 'nothing',
  'modelServer.tagImage': 'nothing',
  'modelServer.presetSync': ({ templateFile, apply }) =>
    apply ? templateFolder(templateFile, 'the model file with the updated preset') : [],
  'modelServer.infer': ({ templateFile, runId }) => (runId ? templateFolder(templateFile, 'the inference result (in the run folder)') : []),

  'models.importJoblib': ({ projectDir, template }) =>
    templateFolder(path.resolve(projectDir, template), 'the imported model (preview-<resource>/)'),

  'modelCheck.targets': 'nothing',
  'modelCheck.run': 'nothing', // reads the project; the image module listing is cached in the user-data folder
  'modelCheck.vendorPlan': 'nothing',
  'modelCheck.vendorApply': ({ templateFile }) => templateFolder(templateFile, 'the vendored modules (CodeUri)'),
  'modelCheck.addAliases': ({ templateFile }) => templateFolder(templateFile, 'the alias modules (CodeUri)'),
  'modelCheck.redump': ({ templateFile }) => templateFolder(templateFile, 'the re-dumped model file (ModelUri)'),

  'pipeline.run': 'nothing',
  'pipeline.results': 'nothing',
  'pipeline.lumisection': 'nothing',
  'pipeline.reflag': 'nothing',
  'pipeline.whatIf': 'nothing',
  'pipeline.release': 'nothing',
  'pipeline.presets': 'nothing',
  'pipeline.savePreset': ({ sessionId, file }, ctx) => {
    const target = ctx.pipeline.presetTarget(sessionId, file);
    // A run no longer kept fails in the handler (NOT_FOUND) before anything is written.
    if (!target) return file && path.isAbsolute(file) ? [{ path: file, what: 'the model preset' }] : [];
    return [{ path: target, what: 'the model preset' }];
  },
  'preset.load': 'nothing',
  'preset.save': ({ file }) => [{ path: file, what: 'the model preset' }],
  'preset.default': 'nothing',

  // Tokens live in the user-data folder; everything fetched goes into the project's data/ (data/dials/ and data/.dials.partial/).
  'dials.account': 'nothing',
  'dials.signIn': 'nothing',
  'dials.signInEvents': 'nothing',
  'dials.signOut': 'nothing',
  'dials.templateMes': 'nothing',
  'dials.datasets': 'nothing',
  'dials.models': 'nothing',
  'dials.projectData': 'nothing',
  'dials.fetch': ({ projectDir }) => [{ path: path.join(projectDir, 'data'), what: 'the DIALS fetch (data/dials/)' }],
  'dials.flags': ({ projectDir }) => [{ path: path.join(projectDir, 'data'), what: 'the DIALS production flags (data/dials/)' }],
  'preview.plotSettings': 'nothing',
  'preview.savePlotSettings': 'nothing', // a per-project setting in the user-data folder
  'pipeline.runAverage': 'nothing',
  'preview.report': ({ file }) => [{ path: path.resolve(file), what: 'the PDF report' }],
};
