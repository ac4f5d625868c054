/** "data/raw_BPix{2,3,4}.npy" style: paths relative to the project, common prefix folded. */
export function describeSources(sources: string[], projectDir: string): string {
  const rel = sources.map((s) => (s.startsWith(projectDir + '/') ? s.slice(projectDir.length + 1) : s));
  if (rel.length <= 1) return rel.join('');
  let pre = rel[0];
  for (const r of rel) while (!r.startsWith(pre)) pre = pre.slice(0, -1);
  let suf = rel[0];
  for (const r of rel) while (!r.endsWith(suf)) suf = suf.slice(1);
  if (pre.length + suf.length >= Math.min(...rel.map((r) => r.length))) return rel.join(', ');
  const mids = rel.map((r) => r.slice(pre.length, r.length - suf.length));
  return `${pre}{${mids.join(',')}}${suf}`;
}
