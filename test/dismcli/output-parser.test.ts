import { describe, expect, it } from 'vitest';
import { DismcliOutputParser } from '@/backend/dismcli/output-parser';

const T0 = Date.parse('2026-01-01T00:00:00Z');
function run(lines: string[]) {
  const p = new DismcliOutputParser(() => T0);
  const events = [...lines.flatMap((l) => p.feed(l)), ...p.end()];
  return { events, problems: p.all() };
}

describe('dismcli output parser', () => {
  it('recognises the device-login line with the default remaining time, then login success', () => {
    const { events } = run([
      'INFO: Go to the following url and authenticate: https://auth.cern.ch/auth/realms/cern/device?user_code=ABCD-EFGH',
      'INFO: Device authorized, authentication finished successfully!',
      'INFO: Building resource (PixelNMF, InferenceService::MLServer::SKLearn)',
    ]);
    expect(events[0]).toEqual({
      type: 'login',
      url: 'https://auth.cern.ch/auth/realms/cern/device?user_code=ABCD-EFGH',
      expiresAt: '2026-01-01T00:10:00.000Z',
    });
    expect(events[1]).toEqual({ type: 'logged-in' });
    expect(events[2]).toMatchObject({ type: 'success', line: 'Building resource (PixelNMF, InferenceService::MLServer::SKLearn)' });
  });

  it('takes the expiry from the line when given, and ignores colour codes', () => {
    const { events } = run(['\u001b[32mGo to the following url and authenticate: https://x/device\u001b[0m (code expires in 5 minutes)']);
    expect(events[0]).toEqual({ type: 'login', url: 'https://x/device', expiresAt: '2026-01-01T00:05:00.000Z' });
  });

  it.each([
    ['ERROR: Monitoring element PixelPhase1/Foo/Bar is not available in DIALS', 'me-not-available'],
    ['ERROR: Input BPix2 shape mismatch: expected [-1, 58, 72], got [-1, 56, 72]', 'shape-mismatch'],
    ['ERROR: Primary dataset ZeroBiass is unknown', 'primary-dataset-unknown'],
  ])('reads %j as a DIALS validation error', (line, kind) => {
    const { problems } = run([line]);
    expect(problems).toHaveLength(1);
    expect(problems[0].kind).toBe(kind);
    expect(problems[0].hint).toBeTruthy();
    expect(problems[0].message).not.toMatch(/^ERROR/);
  });

  it('turns a Python traceback into one readable error with where it was raised', () => {
    const { problems } = run([
      'Traceback (most recent call last):',
      '  File "dismcli/__main__.py", line 12, in <module>',
      '  File "dism/build.py", line 88, in build_resource',
      '    raise ValueError("CodeUri mlserver-model/ does not exist")',
      'ValueError: CodeUri mlserver-model/ does not exist',
      '[PYI-123:ERROR] Failed to execute script',
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      kind: 'traceback',
      title: 'dismcli crashed: ValueError',
      message: 'ValueError: CodeUri mlserver-model/ does not exist',
    });
    expect(problems[0].hint).toContain('dism/build.py line 88 (build_resource)');
    expect(problems[0].lines).toHaveLength(5);
  });

  it('follows chained tracebacks to the final exception and recognises validation errors raised as exceptions', () => {
    const { problems } = run([
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in f',
      "KeyError: 'x'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "b.py", line 2, in g',
      'dism.exceptions.ValidationError: Monitoring element X not found',
    ]);
    expect(problems.map((p) => p.kind)).toContain('me-not-available');
  });

  it('explains an EOFError as a question on stdin', () => {
    const { problems } = run(['Traceback (most recent call last):', '  File "x.py", line 3, in ask', 'EOFError: EOF when reading a line']);
    expect(problems[0].kind).toBe('stdin');
  });

  it('reports an unterminated traceback at the end', () => {
    const { problems } = run(['Traceback (most recent call last):', '  File "x.py", line 3, in f']);
    expect(problems).toHaveLength(1);
    expect(problems[0].kind).toBe('traceback');
  });
});
