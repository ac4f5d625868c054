import type { DismcliEvent, DismcliProblem } from '@/shared/api/contract/dismcli';

/** How long a DIALS device code stays valid when dismcli does not say (CERN SSO default). */
const DEFAULT_LOGIN_SECONDS = 600;

const LOGIN_RE = /Go to the following url and authenticate:\s*(\S+)/i;
const EXPIRES_RE = /expires?\s+in\s+(\d+)\s*(s|sec|seconds?|m|min|minutes?)\b/i;
const LOGGED_IN_RE = /Device authorized|authentication finished successfully/i;
const SUCCESS_RE = /\b(successfully|succeeded)\b|\bBuilding resource\b|\bPackag(ed|ing) resource\b/i;
const TRACEBACK_START = 'Traceback (most recent call last):';
const EXCEPTION_LINE_RE = /^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Failure)|[A-Za-z_][\w.]*\.[A-Z]\w*)(?::\s?(.*))?$/;
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;?]*[A-Za-z]/g;

interface ProblemRule {
  kind: DismcliProblem['kind'];
  test: RegExp;
  title: string;
  hint: string;
}

/** DIALS validation failures dismcli reports; matched on any line (log prefix or not). */
const RULES: ProblemRule[] = [
  {
    kind: 'me-not-available',
    test: /(monitoring element|\bME\b)[^\n]*(not (available|found|exist)|unknown|does not exist)|(not available|unknown)[^\n]*monitoring element/i,
    title: 'Monitoring element not available in DIALS',
    hint: 'Check the MonitoringElement paths in InputSignature against the MEs DIALS ingests for the chosen workspace (and that the DIALS URL is the right instance).',
  },
  {
    kind: 'shape-mismatch',
    test: /shape[^\n]*(mismatch|does not match|doesn't match|differ)|(mismatch|does not match)[^\n]*(shape|dims)|expected (shape|dims)/i,
    title: 'Input shape does not match DIALS',
    hint: "The Dims of an InputSignature entry must equal the ME's binning in DIALS as [-1, y_bins, x_bins].",
  },
  {
    kind: 'primary-dataset-unknown',
    test: /primary[ _]dataset[^\n]*(unknown|not found|does not exist|not available|invalid)|(unknown|invalid)[^\n]*primary[ _]dataset/i,
    title: 'Primary dataset unknown to DIALS',
    hint: 'Check InferenceOnConditions.AllowedPrimaryDatasets (e.g. ZeroBias, StreamExpress) for typos.',
  },
];

const STDIN_RE = /EOFError|EOF when reading a line/;
const AUTH_RE = /\b(401|403)\b[^\n]*(unauthori[sz]ed|forbidden)|authorization_pending|expired_token|access_denied|Token (has )?expired/i;

function stripAnsi(s: string): string {
  return s.replace(ANSI_RE, '');
}

/**
 * Reads dismcli's output line by line and recognises what the user must see: the device-login
 * URL, login success, DIALS validation errors and Python tracebacks. Pure: feed lines, get events.
 */
export class DismcliOutputParser {
  private traceback: string[] | null = null;
  private readonly problems: DismcliProblem[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** One line of output (without newline); returns the events it completes. */
  feed(rawLine: string): DismcliEvent[] {
    const line = stripAnsi(rawLine).replace(/\r/g, '');
    const events: DismcliEvent[] = [];
    if (this.traceback) {
      this.traceback.push(line);
      // The traceback ends with the exception line: not indented, after at least one frame.
      if (
        line &&
        !/^\s/.test(line) &&
        this.traceback.length > 2 &&
        !line.startsWith('During handling') &&
        !line.startsWith(TRACEBACK_START)
      ) {
        events.push(...this.finishTraceback());
      }
      return events;
    }
    if (line.includes(TRACEBACK_START)) {
      this.traceback = [line];
      return events;
    }
    const login = LOGIN_RE.exec(line);
    if (login) {
      const exp = EXPIRES_RE.exec(line);
      const seconds = exp ? Number(exp[1]) * (exp[2].toLowerCase().startsWith('m') ? 60 : 1) : DEFAULT_LOGIN_SECONDS;
      events.push({ type: 'login', url: login[1], expiresAt: new Date(this.now() + seconds * 1000).toISOString() });
      return events;
    }
    if (LOGGED_IN_RE.test(line)) {
      events.push({ type: 'logged-in' });
      return events;
    }
    for (const rule of RULES) {
      if (rule.test.test(line)) {
        events.push(
          ...this.addProblem({ kind: rule.kind, title: rule.title, message: cleanMessage(line), hint: rule.hint, lines: [line] }),
        );
        return events;
      }
    }
    if (AUTH_RE.test(line)) {
      events.push(
        ...this.addProblem({
          kind: 'login',
          title: 'DIALS login failed or expired',
          message: cleanMessage(line),
          hint: 'Run again and complete the login in the browser before the code expires. The token cache (.cache/ or .cache-dev/ in the project) is reused next time.',
          lines: [line],
        }),
      );
      return events;
    }
    if (SUCCESS_RE.test(line) && !/\b(error|fail)/i.test(line)) events.push({ type: 'success', line: cleanMessage(line) });
    return events;
  }

  /** End of output: a traceback still open is reported as it is. */
  end(): DismcliEvent[] {
    return this.traceback ? this.finishTraceback() : [];
  }

  all(): DismcliProblem[] {
    return [...this.problems];
  }

  private addProblem(p: DismcliProblem): DismcliEvent[] {
    const key = `${p.kind}\0${p.message}`;
    if (this.seen.has(key)) return [];
    this.seen.add(key);
    this.problems.push(p);
    return [{ type: 'problem', problem: p }];
  }

  private finishTraceback(): DismcliEvent[] {
    const lines = this.traceback ?? [];
    this.traceback = null;
    const last = [...lines].reverse().find((l) => l.trim() && !/^\s/.test(l)) ?? '';
    const m = EXCEPTION_LINE_RE.exec(last.trim());
    const exception = m ? m[1] : 'Error';
    const message = m ? (m[2] ?? '').trim() : last.trim();
    const frame = [...lines].reverse().find((l) => /^\s+File "/.test(l));
    const where = frame ? /File "([^"]+)", line (\d+)(?:, in (\S+))?/.exec(frame) : null;
    // A validation error raised as an exception is still a validation error.
    for (const rule of RULES) {
      if (rule.test.test(last))
        return this.addProblem({ kind: rule.kind, title: rule.title, message: message || last, hint: rule.hint, lines });
    }
    if (STDIN_RE.test(last)) {
      return this.addProblem({
        kind: 'stdin',
        title: 'dismcli asked a question on the terminal',
        message: 'dismcli waited for an answer on its input, which DISM Studio never provides (it would hang).',
        hint: 'For `dismcli package` DISM Studio passes -i; if another question appears, run again after resolving what it asks about (e.g. a model with the same name already exists in DIALS).',
        lines,
      });
    }
    if (AUTH_RE.test(last)) {
      return this.addProblem({
        kind: 'login',
        title: 'DIALS login failed or expired',
        message: message || last,
        hint: 'Run again and complete the login in the browser before the code expires.',
        lines,
      });
    }
    const shortName = exception.split('.').pop() ?? exception;
    return this.addProblem({
      kind: 'traceback',
      title: `dismcli crashed: ${shortName}`,
      message: message ? `${shortName}: ${message}` : shortName,
      hint: where
        ? `Raised in ${where[1]} line ${where[2]}${where[3] ? ` (${where[3]})` : ''}. The full traceback is in the log.`
        : 'The full traceback is in the log.',
      lines,
    });
  }
}

/** Drop logging prefixes such as "ERROR:" or "[2025-…] ERROR -" so the message reads as a sentence. */
function cleanMessage(line: string): string {
  return line
    .replace(/^\s*\[[^\]]*\]\s*/, '')
    .replace(/^\s*(INFO|WARNING|WARN|ERROR|CRITICAL|DEBUG)\s*[:-]\s*/i, '')
    .trim();
}
