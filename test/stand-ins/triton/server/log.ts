/**
 * TEST STAND-IN: Triton's log format and its boxed tables.
 *
 * Lines look like `I0523 14:03:07.123456 1 server.cc:594] message`: severity letter, month and day,
 * UTC time with microseconds, process id, source file and line, as triton::common::LogMessage
 * writes them. The file:line tags name the place in Triton 23.05's sources that logs the same
 * message, so the log reads like the real server's.
 */

export type Severity = 'I' | 'W' | 'E' | 'V';

export interface LogOptions {
  info: boolean;
  warning: boolean;
  error: boolean;
  verbose: number;
}

export const logOptions: LogOptions = { info: true, warning: true, error: true, verbose: 0 };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Wall-clock microseconds: Date at start-up plus the monotonic clock since. */
const EPOCH_US = BigInt(Date.now()) * 1000n - process.hrtime.bigint() / 1000n;

function stamp(): string {
  const us = EPOCH_US + process.hrtime.bigint() / 1000n;
  const now = new Date(Number(us / 1000n));
  const micro = Number(us % 1_000_000n);
  return `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(micro, 6)}`;
}

export function log(severity: Severity, where: string, message: string): void {
  if (severity === 'I' && !logOptions.info) return;
  if (severity === 'W' && !logOptions.warning) return;
  if (severity === 'E' && !logOptions.error) return;
  if (severity === 'V' && logOptions.verbose < 1) return;
  // Triton writes verbose messages with the 'I' letter.
  const letter = severity === 'V' ? 'I' : severity;
  process.stdout.write(`${letter}${stamp()} ${process.pid} ${where}] ${message}\n`);
}

export const info = (where: string, message: string) => log('I', where, message);
export const warn = (where: string, message: string) => log('W', where, message);
export const error = (where: string, message: string) => log('E', where, message);
export const verbose = (where: string, message: string) => log('V', where, message);

/**
 * triton::common::TablePrinter: columns get a fair share of a 500-character line (no terminal in a
 * container), narrower columns hand their unused share to the wider ones, and a cell longer than
 * its column's share wraps onto more lines.
 */
export function table(headers: string[], rows: string[][]): string {
  const n = headers.length;
  const all = [headers, ...rows];
  // std::getline: a trailing newline does not start another line
  const cells = all.map((row) => row.map((c) => (c.endsWith('\n') ? c.slice(0, -1) : c).split('\n')));
  const maxWidths = headers.map((_, i) => Math.max(0, ...cells.map((r) => Math.max(...r[i].map((l) => l.length)))));
  const terminalWidth = 500 - 2 * n - (n + 1);
  const equal = Math.floor(terminalWidth / n);
  const shares = headers.map(() => equal);
  // FairShare: narrowest first, give what a column does not use to the columns after it
  const order = headers.map((_, i) => i).sort((a, b) => maxWidths[a] - maxWidths[b] || a - b);
  order.forEach((col, k) => {
    if (maxWidths[col] < shares[col]) {
      const excess = shares[col] - maxWidths[col];
      shares[col] -= excess;
      if (k === order.length - 1) return;
      const per = excess / (n - (k + 1));
      for (const next of order.slice(k + 1)) shares[next] += per;
    }
  });
  for (let i = 0; i < n; i++) shares[i] = Math.floor(shares[i]);
  const wrapped = cells.map((row) =>
    row.map((lines, j) =>
      lines.flatMap((l) => (l.length > shares[j] && shares[j] > 0 ? (l.match(new RegExp(`.{1,${shares[j]}}`, 'g')) ?? ['']) : [l])),
    ),
  );
  const divider = `+${shares.map((s) => '-'.repeat(s + 2)).join('+')}+\n`;
  const rowText = (row: string[][]) => {
    const height = Math.max(1, ...row.map((c) => c.length));
    let s = '';
    for (let j = 0; j < height; j++) s += `|${row.map((c, i) => ` ${(c[j] ?? '').padEnd(shares[i])} |`).join('')}\n`;
    return s;
  };
  return `\n${divider}${rowText(wrapped[0])}${divider}${wrapped.slice(1).map(rowText).join('')}${divider}`;
}
