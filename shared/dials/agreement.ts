/**
 * How the preview's flags compare with DIALS's own production flags (ml-bad-lumisection records of
 * one model): DIALS lists only the lumisections its model flagged, so every other lumisection of a
 * run it judged counts as "not flagged by DIALS". Lumisections of runs the verdicts do not cover are
 * not compared.
 */

export interface ProductionFlag {
  run: number;
  ls: number;
  /** The model's loss for that lumisection, as DIALS stored it. */
  mse: number;
}

export interface PreviewLs {
  run: number;
  ls: number;
  flagged: boolean;
}

export interface Disagreement {
  /** Position of the LS in the preview's list (to select it). */
  position: number;
  run: number;
  ls: number;
  preview: boolean;
  dials: boolean;
  mse: number | null;
}

export interface Agreement {
  /** Lumisections compared (those of runs DIALS judged). */
  compared: number;
  agree: number;
  disagreements: Disagreement[];
  /** DIALS flags for lumisections the preview does not have (e.g. outside the fetched LS range). */
  flagsNotInPreview: number;
}

const key = (run: number, ls: number) => `${run}:${ls}`;

export function compareWithProduction(
  items: readonly PreviewLs[],
  judgedRuns: readonly number[],
  flags: readonly ProductionFlag[],
): Agreement {
  const runs = new Set(judgedRuns);
  const flagged = new Map(flags.map((f) => [key(f.run, f.ls), f]));
  const seen = new Set<string>();
  let compared = 0;
  let agree = 0;
  const disagreements: Disagreement[] = [];
  items.forEach((it, position) => {
    if (!runs.has(it.run)) return;
    const k = key(it.run, it.ls);
    seen.add(k);
    compared++;
    const f = flagged.get(k);
    if (Boolean(f) === it.flagged) agree++;
    else disagreements.push({ position, run: it.run, ls: it.ls, preview: it.flagged, dials: Boolean(f), mse: f?.mse ?? null });
  });
  let flagsNotInPreview = 0;
  for (const k of flagged.keys()) if (!seen.has(k)) flagsNotInPreview++;
  return { compared, agree, disagreements, flagsNotInPreview };
}

/** Per preview position: null (run not judged by DIALS), true (DIALS flagged it) or false. */
export function productionMarks(
  items: readonly PreviewLs[],
  judgedRuns: readonly number[],
  flags: readonly ProductionFlag[],
): Array<boolean | null> {
  const runs = new Set(judgedRuns);
  const flagged = new Set(flags.map((f) => key(f.run, f.ls)));
  return items.map((it) => (runs.has(it.run) ? flagged.has(key(it.run, it.ls)) : null));
}
