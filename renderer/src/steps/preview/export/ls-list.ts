/**
 * A list of lumisections as physicists write them: "398100:7-12, 398101:3" (run:LS or run:LS-LS
 * ranges; a bare LS or range takes the run named before it, or the only run of the data).
 * Returns the positions of those LS in the data, or what is wrong in plain words.
 */
export function parseLsList(text: string, items: ReadonlyArray<{ run: number; ls: number }>): { positions: number[] } | { error: string } {
  const index = new Map(items.map((it, i) => [`${it.run}:${it.ls}`, i]));
  const runs = [...new Set(items.map((it) => it.run))];
  let run: number | null = runs.length === 1 ? runs[0] : null;
  const positions = new Set<number>();
  const missing: string[] = [];
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) return { error: 'Type the lumisections, e.g. 398100:7-12, 398101:3.' };
  for (const part of parts) {
    const m = /^(?:(\d+):)?(\d+)(?:[-–](\d+))?$/.exec(part);
    if (!m) return { error: `“${part}” is not run:LS or run:LS-LS (e.g. 398100:7 or 398100:7-12).` };
    if (m[1]) run = Number(m[1]);
    if (run === null) return { error: `“${part}” has no run: write it as run:LS (the data has ${runs.length} runs).` };
    const from = Number(m[2]);
    const to = m[3] ? Number(m[3]) : from;
    if (to < from) return { error: `“${part}”: the range goes backwards.` };
    if (to - from > 100_000) return { error: `“${part}” is too long a range.` };
    for (let ls = from; ls <= to; ls++) {
      const i = index.get(`${run}:${ls}`);
      if (i === undefined) {
        if (!m[3]) missing.push(`${run}:${ls}`);
      } else positions.add(i);
    }
  }
  if (missing.length)
    return { error: `Not in this data: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}.` };
  if (!positions.size) return { error: 'None of these lumisections is in this data.' };
  return { positions: [...positions].sort((a, b) => a - b) };
}
