/**
 * A failed load in the runtime image, told in one plain sentence with what to do — from the
 * exception the check script recorded and the last frames of its traceback.
 */
import path from 'node:path';
import type { CheckFinding, CheckResult } from '@/shared/api/contract/model-check';
import type { ImportCheck } from './import-check';
import type { CheckTarget } from './model-check';

export interface StageResult {
  stage: 'unpickle' | 'handler' | 'decompress';
  ok: boolean;
  className?: string;
  imported?: boolean;
  instantiated?: boolean;
  how?: string;
  warnings?: Array<{ category: string; message: string; pickledWith?: string }>;
  versions?: Record<string, string | null>;
  error?: {
    type: string;
    message: string;
    /** [file, line, function, source line] innermost last. */
    frames: Array<[string, number, string, string]>;
    module?: string;
    file?: string;
    line?: number;
    offset?: number;
    text?: string;
  };
}

/** A path inside the container, as the user knows it (relative to the project folder). */
export function hostPath(p: string, t: CheckTarget): string {
  const project = t.template.dir;
  const toProject = (abs: string) => path.relative(project, abs).split(path.sep).join('/');
  const model = `/tmp/dism-model/${String(t.resource.properties.Name ?? t.resource.key)}/`;
  for (const prefix of ['/dism/code/', `${model}1/`, model])
    if (p.startsWith(prefix)) return toProject(path.join(t.codeDir, p.slice(prefix.length)));
  if (t.modelFile && p.startsWith('/dism/model/')) return toProject(t.modelFile);
  return p;
}

function lastUserFrame(frames: StageResult['error'] extends infer E ? (E extends { frames: infer F } ? F : never) : never, t: CheckTarget) {
  // Only a frame in the user's own code says something to them; Python's and joblib's internals do not.
  return [...frames].reverse().find((f) => hostPath(f[0], t) !== f[0]);
}

export function explainFailure(
  s: StageResult,
  ctx: { target: CheckTarget; imports: ImportCheck },
): { sentence: string; finding?: CheckFinding; fixes: CheckResult['fixes']; traceback: string[] } {
  const t = ctx.target;
  const e = s.error ?? { type: 'Error', message: 'the check stopped without saying why', frames: [] };
  const traceback = [
    ...e.frames
      .slice(-4)
      .map(([file, line, fn, src]) => `  File "${hostPath(file, t)}", line ${line}, in ${fn}${src ? `\n    ${src}` : ''}`),
    `${e.type}: ${e.message}`,
  ];
  const frame = e.frames.length ? lastUserFrame(e.frames, t) : undefined;
  const at = frame ? ` (${hostPath(frame[0], t)}, line ${frame[1]}, in ${frame[2]})` : '';
  const during =
    s.stage === 'unpickle'
      ? `Unpickling ${path.basename(t.modelFile ?? 'the model')} with the model folder on sys.path failed`
      : s.instantiated
        ? t.framework === 'MLServer'
          ? `The handler’s load() failed`
          : 'TritonPythonModel.initialize() failed'
        : s.imported
          ? `Creating the handler failed`
          : `Importing the handler ${t.framework === 'MLServer' ? t.handler : 'model.py'} failed`;
  const mod = e.module ?? /No module named '([^']+)'/.exec(e.message)?.[1];
  const fixes: CheckResult['fixes'] = [];
  let sentence: string;
  if (e.type === 'SyntaxError' || e.type === 'IndentationError' || e.type === 'TabError') {
    const file = e.file ? hostPath(e.file, t) : '?';
    sentence = `${file} has a ${e.type === 'SyntaxError' ? 'syntax error' : e.type === 'TabError' ? 'mix of tabs and spaces' : 'wrong indentation'} on line ${e.line}: ${e.message}${e.text ? ` — “${e.text.trim()}”` : ''}. Python stops before the handler exists, so the server never starts.`;
    fixes.push({ text: `Fix line ${e.line} of ${file} (run python -m py_compile ${path.basename(file)} to check it).`, action: 'edit' });
    return { sentence, finding: { severity: 'error', message: sentence, file, line: e.line }, fixes, traceback };
  }
  if ((e.type === 'ModuleNotFoundError' || e.type === 'ImportError') && mod) {
    const top = mod.split('.')[0];
    const local = ctx.imports.local.has(mod) || ctx.imports.local.has(top);
    const missing = ctx.imports.missing.find((m) => m.module === mod || m.module.startsWith(`${mod}.`) || mod.startsWith(`${m.module}.`));
    if (local && s.stage === 'handler' && s.imported && t.framework === 'MLServer') {
      sentence = `${during}${at}: it needed the module ${mod}, which is in the model folder, but MLServer takes the model folder off sys.path again once it has imported ${t.handler?.split('.')[0]}.py — so a module first imported inside load() (for example by unpickling) is not found.`;
      fixes.push({
        text: `In ${t.handler?.split('.')[0]}.py, before the other imports, add: sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))) — or import ${mod} at the top of it.`,
        action: 'edit',
      });
    } else if (missing) {
      sentence = `${during}${at}: No module named '${mod}' — it is in the project (${missing.candidates.length ? path.relative(t.codeDir, missing.candidates[0]).split(path.sep).join('/') : 'elsewhere'}) but not in the model folder, and DIALS ships only the model folder.`;
      fixes.push({ text: 'Vendor it into the model folder.', action: 'vendor' });
    } else if (e.type === 'ImportError' && !/No module named/.test(e.message)) {
      sentence = `${during}${at}: ${e.message}.`;
      fixes.push({ text: 'Check that the name exists in that module in the version the image has.' });
    } else {
      sentence = `${during}${at}: No module named '${mod}' — it is neither in the model folder nor installed in ${t.image}.`;
      fixes.push({ text: `Add ${top} to the model folder if it is your code, or use a runtime image that has it installed.` });
    }
    return { sentence, finding: { severity: 'error', message: sentence, module: mod }, fixes, traceback };
  }
  if (e.type === 'AttributeError' && /Can't get attribute '([^']+)' on <module '([^']+)'/.test(e.message)) {
    const [, name, module] = /Can't get attribute '([^']+)' on <module '([^']+)'/.exec(e.message)!;
    sentence = `${during}: the pickle needs the class ${module}.${name}, and ${module} no longer defines ${name} (renamed or moved since the model was saved).`;
    fixes.push({ text: `Restore ${name} in ${module}, or save the model again with the current code.`, action: 'redump' });
    return { sentence, finding: { severity: 'error', message: sentence, module }, fixes, traceback };
  }
  if (e.type === 'FileNotFoundError') {
    sentence = `${during}${at}: ${e.message}. In DIALS the model folder holds the CodeUri files and the model file ${t.modelFile ? path.basename(t.modelFile) : ''} side by side; paths must be relative to the handler’s folder (or come from get_model_uri).`;
    fixes.push({
      text: 'Open files relative to os.path.dirname(__file__) or through mlserver.utils.get_model_uri(self._settings).',
      action: 'edit',
    });
    return { sentence, finding: { severity: 'error', message: sentence }, fixes, traceback };
  }
  if (e.type === 'TimeoutError' || e.type === 'CancelledError') {
    sentence = `${during}: it did not finish within the check’s time limit (does load() wait for the network? The server has none here, and DIALS may not either).`;
    return { sentence, fixes, traceback };
  }
  sentence = `${during}${at}: ${e.type}: ${e.message}`;
  fixes.push({ text: 'See the traceback; run the handler locally in the same image to reproduce it.' });
  return { sentence, finding: { severity: 'error', message: sentence }, fixes, traceback };
}
