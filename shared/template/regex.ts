import { TEMPLATE_LIMITS } from './limits';

/**
 * Why a regular-expression field is not compiled, or undefined when it is checked normally. V8's
 * regex compiler takes seconds on long alternations and crashes the whole process (not an exception)
 * on deeply nested groups, so only patterns of a sane length are compiled; a real one is a few dozen
 * characters.
 */
export function regexTooLongToCheck(pattern: string): string | undefined {
  if (pattern.length <= TEMPLATE_LIMITS.maxRegexChars) return undefined;
  return `is ${pattern.length.toLocaleString('en-US')} characters long; DISM Studio checks regular expressions up to ${TEMPLATE_LIMITS.maxRegexChars.toLocaleString('en-US')} characters, so this one is not checked (DISM compiles it with Python's re when the model runs). Shorten it.`;
}

/**
 * dism_core compiles regex fields with Python's `re`. Check them with JS RegExp after translating
 * the Python-only spellings that JS lacks, so valid Python patterns are not reported as broken.
 */
export function pythonRegexError(pattern: string): string | undefined {
  if (regexTooLongToCheck(pattern)) return undefined; // never compiled: see regexTooLongToCheck
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
