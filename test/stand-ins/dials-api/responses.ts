/**
 * TEST STAND-IN: the error bodies the real DIALS API sends (Django 5.1 + Django REST framework 3.15
 * behind nginx, DEBUG off), and the Python-style JSON the stand-in writes.
 */
import type { HistContent } from './world';

/** A response the handler wants sent instead of data. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType = 'application/json',
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${body.slice(0, 120)}`);
  }
}

/** A DRF error: `{"detail": …}` (or `{"detail": …, "code": …}` for DIALS's own auth errors). */
export const drfError = (status: number, detail: string, code?: string) =>
  new HttpError(status, JSON.stringify(code === undefined ? { detail } : { detail, code }));
/** DRF ValidationError raised with a plain message: a JSON list with that message. */
export const drfValidation = (message: string) => new HttpError(400, JSON.stringify([message]));
/** django-filter form errors: `{"<param>": ["Enter a number."]}`. */
export const filterErrors = (errors: Record<string, string[]>) => new HttpError(400, JSON.stringify(errors));

const djangoPage = (title: string, details: string) => `<!doctype html>
<html lang="en">
<head>
  <title>${title}</title>
</head>
<body>
  <h1>${title}</h1><p>${details}</p>
</body>
</html>
`;
/** Django's 404 page for a URL no route matches (DEBUG off). */
export const djangoNotFound = () =>
  new HttpError(404, djangoPage('Not Found', 'The requested resource was not found on this server.'), 'text/html; charset=utf-8');
/** Django's 500 page: what an unhandled exception in a DIALS view becomes (DEBUG off). */
export const djangoServerError = () => new HttpError(500, djangoPage('Server Error (500)', ''), 'text/html; charset=utf-8');
/** Django's HttpResponseBadRequest(message): text, not JSON. */
export const djangoBadRequest = (message: string) => new HttpError(400, message, 'text/html; charset=utf-8');

const REASONS: Record<number, string> = {
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
};
/** What a gateway in front of DIALS (nginx / the OpenShift router) answers on overload or outage. */
export function gatewayError(status: number, retryAfterS?: number): HttpError {
  if (status === 500) return djangoServerError();
  const reason = REASONS[status] ?? 'Error';
  const body = `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return new HttpError(status, body, 'text/html', retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) });
}

// ───────────────────────────── Python-style JSON ─────────────────────────────

/** Python's repr(float): 40.0, -4.5, 1e-05, 1.5e+16 (JSON numbers either way; byte counts match the real API). */
export function pyFloat(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`DIALS stand-in: ${v} cannot be sent as JSON (DRF refuses NaN/Infinity)`);
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 16) {
    const [mantissa, e] = v.toExponential().split('e');
    const n = Number(e);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = String(v);
  return Number.isInteger(v) ? `${s}.0` : s;
}

const SMALL_INT_FLOATS: string[] = [];
function countFloat(v: number): string {
  if (Number.isInteger(v) && v >= 0 && v < 65536) return (SMALL_INT_FLOATS[v] ??= `${v}.0`);
  return pyFloat(v);
}

export function isHist(v: unknown): v is HistContent {
  return typeof v === 'object' && v !== null && 'values' in v && 'rows' in v && 'cols' in v && 'dim' in v;
}

/** A histogram's data as JSON: list of rows (TH2, y_bin × x_bin) or flat list (TH1), floats. */
export function histJson(h: HistContent, twoD: boolean): string {
  const { cols, values } = h;
  const rowText = (r: number) => {
    let s = '[';
    const off = r * cols;
    for (let c = 0; c < cols; c++) s += (c ? ',' : '') + countFloat(values[off + c]);
    return `${s}]`;
  };
  if (!twoD) return rowText(0);
  let s = '[';
  for (let r = 0; r < h.rows; r++) s += (r ? ',' : '') + rowText(r);
  return `${s}]`;
}

/**
 * JSON like DRF's renderer (compact, key order kept), with numbers under `floatKeys` written as
 * Python floats and histogram contents under `data` as nested lists.
 */
export function toJson(value: unknown, floatKeys: ReadonlySet<string> = new Set(), key?: string): string {
  if (isHist(value)) return histJson(value, value.dim === 2);
  if (typeof value === 'number' && key !== undefined && floatKeys.has(key)) return pyFloat(value);
  if (Array.isArray(value)) return `[${value.map((v) => toJson(v, floatKeys, key)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v, floatKeys, k)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
