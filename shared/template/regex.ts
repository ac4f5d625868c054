/**
 * dism_core compiles regex fields with Python's `re`. Check them with JS RegExp after translating
 * the Python-only spellings that JS lacks, so valid Python patterns are not reported as broken.
 */
export function pythonRegexError(pattern: string): string | undefined {
  let src = pattern;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    flags = [...new Set(inline[1].replace(/[aLux]/g, ''))].join('');
  }
  src = src
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    new RegExp(src, flags);
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
  }
}
