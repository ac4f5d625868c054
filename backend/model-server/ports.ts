import net from 'node:net';
import { ApiError } from '@/shared/api/errors';

/** True when nothing listens on host:port (we can bind it ourselves). */
function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The preferred port if free, else the next free one above it. */
export async function findFreePort(
  preferred: number,
  host = '127.0.0.1',
  tries = 100,
  skip: ReadonlySet<number> = new Set(),
): Promise<number> {
  for (let p = preferred; p < Math.min(65536, preferred + tries); p++) {
    if (!skip.has(p) && (await portIsFree(p, host))) return p;
  }
  throw new ApiError(
    'NO_FREE_PORT',
    `No free port on ${host} between ${preferred} and ${preferred + tries - 1}. Stop what uses them or choose another port.`,
    undefined,
    'PortError',
  );
}
