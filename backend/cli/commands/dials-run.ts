import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DialsFetchProgress } from '@/shared/api/contract/dials';
import { MAX_LISTED_RUNS, parseRunSelection, RunSelectionError, type RunSelection } from '@/shared/dials/run-selection';
import { PRESET_FILE_NAME } from '@/shared/preset/model-preset';
import { DialsConnection } from '@/backend/dials/dials-connection';
import { instanceFromArgument } from '@/backend/dials/dials-instance';
import { hltForProject, selectMes } from '@/backend/dials/dials-service';
import { DEFAULT_CONCURRENCY, DEFAULT_PAGE_SIZE, runDialsFetch } from '@/backend/dials/fetch-job';
import { DIALS_FETCH_DIR } from '@/backend/dials/fetch-folder';
import { readTemplateText, templateMesOf } from '@/backend/dials/template-mes';
import { writeFileAtomic } from '@/backend/fs/atomic-write';
import { checkOutputs } from '@/backend/fs/output-target';
import { defaultUserDataDir } from '@/backend/host/user-data-dir';
import { APP_VERSION } from '@/backend/version';
import type { CliCommand, CliIO } from '../command';
import { parseCommandArgs, UsageError } from '../command';

const SUBCOMMANDS = ['login', 'logout', 'status', 'fetch', 'models', 'flags'] as const;

function connectionFor(instanceArg: string | undefined, io: CliIO): DialsConnection {
  const target = instanceFromArgument(instanceArg);
  const secret = io.env.DIALS_TOKEN?.trim();
  return new DialsConnection(target.url, { userDataDir: defaultUserDataDir(io.env), clientSecret: secret || null });
}

function runsOf(text: string | undefined): RunSelection {
  if (!text) throw new UsageError('give the runs with --runs A-B or --runs A,B,C');
  try {
    return parseRunSelection(text);
  } catch (err) {
    if (err instanceof RunSelectionError) throw new UsageError(`--runs: ${err.message}`);
    throw err;
  }
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${v}"`);
  return Number(v);
}

/** The project a template belongs to: its folder, or the parent when only the parent holds preset.json (model/template.yaml). */
async function projectOfTemplate(file: string): Promise<string> {
  const dir = path.dirname(file);
  const has = (d: string) =>
    fs.access(path.join(d, PRESET_FILE_NAME)).then(
      () => true,
      () => false,
    );
  if (!(await has(dir)) && (await has(path.dirname(dir)))) return path.dirname(dir);
  return dir;
}

function progressLine(p: DialsFetchProgress, message: string): string {
  return p.phase === 'maps' ? `${message}${p.retries ? ` · ${p.retries} retries` : ''}` : message;
}

/** `dism-studio dials …`: loaded only when that command runs (see dials.ts). */
export const runDials: CliCommand['run'] = async function run(argv, io) {
  const [sub, ...rest] = argv;
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub))
    throw new UsageError(sub ? `unknown subcommand "${sub}" (${SUBCOMMANDS.join(', ')})` : `give a subcommand: ${SUBCOMMANDS.join(', ')}`);

  if (sub === 'login' || sub === 'logout' || sub === 'status') {
    const { values } = parseCommandArgs(rest, { instance: { type: 'string' }, json: { type: 'boolean' } }, false);
    const conn = connectionFor(values.instance, io);
    if (sub === 'login') {
      const account = await conn.signIn({
        signal: io.signal,
        onDevice: (d) => {
          const lines = [
            `Open this address in a browser, sign in and approve DISM Studio${d.userCode ? ` (code ${d.userCode})` : ''}:`,
            `  ${d.url}`,
            `Waiting for the approval (the code expires at ${new Date(d.expiresAt).toLocaleTimeString()})…`,
          ];
          for (const l of lines) (values.json ? io.err : io.out)(l);
        },
      });
      if (values.json) io.out(JSON.stringify(account, null, 2));
      else io.out(`Signed in to ${conn.instance}${account.user ? ` as ${account.user}` : ''}. The tokens are cached for this instance.`);
      return 0;
    }
    if (sub === 'logout') {
      const removed = await conn.signOut();
      if (values.json) io.out(JSON.stringify({ instance: conn.instance, signedOut: true, hadTokens: removed }, null, 2));
      else
        io.out(removed ? `Signed out of ${conn.instance}: its cached tokens are deleted.` : `No sign-in was cached for ${conn.instance}.`);
      return 0;
    }
    const account = await conn.account(io.signal);
    if (values.json) io.out(JSON.stringify(account, null, 2));
    else if (!account.signedIn) io.out(`Not signed in to ${conn.instance}. Run: dism-studio dials login --instance ${conn.instance}`);
    else
      io.out(
        `Signed in to ${conn.instance}${account.user ? ` as ${account.user}` : ''}${account.sessionExpiresAt ? ` (session until ${account.sessionExpiresAt})` : ''}${account.workspaces ? `\nworkspaces: ${account.workspaces.join(', ')} (default ${account.defaultWorkspace})` : ''}`,
      );
    return account.signedIn ? 0 : 1;
  }

  if (sub === 'models') {
    const { values } = parseCommandArgs(
      rest,
      { instance: { type: 'string' }, workspace: { type: 'string' }, json: { type: 'boolean' } },
      false,
    );
    const models = await connectionFor(values.instance, io).models(values.workspace ?? null, io.signal);
    if (values.json) io.out(JSON.stringify(models, null, 2));
    else {
      if (!models.length) io.out('No models are registered in this workspace.');
      for (const m of models)
        io.out(`${String(m.modelId).padStart(5)}  ${m.active ? 'active  ' : 'inactive'}  ${m.filename}  (${m.targetMe})`);
    }
    return 0;
  }

  if (sub === 'flags') {
    const { values } = parseCommandArgs(
      rest,
      {
        model: { type: 'string' },
        runs: { type: 'string' },
        dataset: { type: 'string' },
        instance: { type: 'string' },
        workspace: { type: 'string' },
        json: { type: 'string' },
        overwrite: { type: 'boolean' },
      },
      false,
    );
    const modelId = positiveInt(values.model, '--model');
    if (modelId === undefined) throw new UsageError('give the model with --model ID (see `dism-studio dials models`)');
    const sel = runsOf(values.runs);
    // ml-bad-lumisection filters runs by run_number__in only: a range becomes its list of runs.
    const runs = sel.kind === 'list' ? sel.runs : Array.from({ length: sel.last - sel.first + 1 }, (_, i) => sel.first + i);
    if (runs.length > MAX_LISTED_RUNS) throw new UsageError(`--runs: at most ${MAX_LISTED_RUNS} runs at a time for flags`);
    const out = values.json && values.json !== '-' ? path.resolve(io.cwd, values.json) : null;
    if (out) await checkOutputs({ outputs: [out], inputs: [], overwrite: Boolean(values.overwrite) });
    const conn = connectionFor(values.instance, io);
    const workspace = values.workspace ?? null;
    const datasetId = values.dataset ? await conn.datasetId(values.dataset, workspace, io.signal) : null;
    const flags = await conn.flags({ modelId, datasetId, dataset: values.dataset ?? null, runs, workspace, signal: io.signal });
    const text = `${JSON.stringify(flags, null, 2)}\n`;
    if (values.json === '-') io.out(text.trimEnd());
    else {
      if (out) await writeFileAtomic(out, text);
      io.out(
        `Model ${flags.model.modelId} ${flags.model.filename}${flags.model.active ? ' (active)' : ''}: ${flags.flagged.length} flagged lumisection(s) in ${runs.length} run(s)`,
      );
      for (const f of flags.flagged) io.out(`  run ${f.run}  LS ${String(f.ls).padStart(4)}  mse ${f.mse}`);
      if (flags.goldenJson) {
        const good = Object.values(flags.goldenJson)
          .flat()
          .reduce((n, [a, b]) => n + b - a + 1, 0);
        io.out(`golden JSON (good by this model): ${good} lumisection(s) in ${Object.keys(flags.goldenJson).length} run(s)`);
      } else io.out('(give --dataset NAME to get the cert and golden JSON too: DIALS needs the dataset for them)');
      for (const w of flags.warnings) io.out(`warning: ${w}`);
      if (out) io.out(`written to ${out}`);
    }
    return 0;
  }

  // fetch
  const { values, positionals } = parseCommandArgs(rest, {
    dataset: { type: 'string' },
    runs: { type: 'string' },
    instance: { type: 'string' },
    workspace: { type: 'string' },
    'max-ls': { type: 'string' },
    me: { type: 'string', multiple: true },
    out: { type: 'string' },
    overwrite: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one template file');
  if (!values.dataset) throw new UsageError('give the dataset with --dataset NAME (e.g. /StreamExpress/Run2025F-Express-v1/DQMIO)');
  const runs = runsOf(values.runs);
  const maxLs = positiveInt(values['max-ls'], '--max-ls');
  const templateFile = path.resolve(io.cwd, positionals[0]);
  const text = await readTemplateText(templateFile);
  const mes = selectMes(templateMesOf(text, templateFile), values.me, positionals[0]);
  const projectDir = await projectOfTemplate(templateFile);
  const folder = values.out ? path.resolve(io.cwd, values.out) : path.join(projectDir, DIALS_FETCH_DIR);
  const conn = connectionFor(values.instance, io);
  let last = 0;
  let lastPhase = '';
  const manifest = await runDialsFetch({
    folder,
    request: {
      dataset: values.dataset,
      runs,
      mes,
      ls: maxLs ? { last: maxLs } : {},
      workspace: values.workspace ?? null,
      template: path.relative(projectDir, templateFile),
      replace: Boolean(values.overwrite),
    },
    http: conn.http(values.workspace ?? null, {
      onRetry: (n) => io.err(`${n.route}: ${n.reason}; trying again in ${(n.delayMs / 1000).toFixed(1)} s`),
    }),
    hlt: await hltForProject(projectDir, text),
    signal: io.signal,
    pageSize: DEFAULT_PAGE_SIZE,
    concurrency: DEFAULT_CONCURRENCY,
    log: (t, stream) => {
      if (stream === 'stderr') io.err(`warning: ${t}`);
    },
    progress: (p, message) => {
      const now = Date.now();
      // every phase change and the last page are shown; pages in between at most every 2 s
      if (p.phase !== 'maps' || p.phase !== lastPhase || p.pagesDone === p.pagesTotal || now - last > 2000) {
        last = now;
        lastPhase = p.phase;
        io.err(progressLine(p, message));
      }
    },
    replaceHint: 'add --overwrite',
    createdBy: `DISM Studio ${APP_VERSION}`,
  }).catch((err) => {
    if (io.signal.aborted)
      throw Object.assign(new Error('the download so far is kept; run the same command again to continue.'), { name: 'Interrupted' });
    throw err;
  });
  if (values.json) io.out(JSON.stringify({ folder, ...manifest }, null, 2));
  else {
    io.out(
      `Fetched ${manifest.lumisections} lumisections of ${manifest.dataset} (runs ${manifest.runsFetched.join(', ')}) × ${manifest.mes.length} MEs from ${manifest.instance} into ${folder}`,
    );
    for (const r of manifest.runsWithoutData) io.out(`  left out: run ${r.run} (${r.reason})`);
    for (const w of manifest.warnings) io.out(`  warning: ${w}`);
    io.out(
      `  ${manifest.stats.pages} pages, ${(manifest.stats.bytes / 2 ** 20).toFixed(1)} MB${manifest.stats.resumedPages ? `, ${manifest.stats.resumedPages} pages from the interrupted fetch` : ''}${manifest.stats.retries ? `, ${manifest.stats.retries} retries` : ''}`,
    );
  }
  return 0;
};
