import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBackend } from '../api/create-backend';
import { startBrowserHost } from './browser-host';
import { defaultUserDataDir } from './user-data-dir';

const HELP = `npm run serve -- [--port N] [--user-data DIR] [--allow-host HOST:PORT]…

Serves the DISM Studio UI and its API on 127.0.0.1 only, protected by a random token.
Open the printed URL in a browser. On a remote host, tunnel the port first:
  ssh -L 8765:127.0.0.1:8765 you@remote-host   # then open the printed URL locally

  --allow-host  another host:port the browser may use to reach this server, e.g. the local end of
                a tunnel on a different port (ssh -L 9000:127.0.0.1:8765 → --allow-host 127.0.0.1:9000)`;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.DISM_STUDIO_PORT ?? '8765' },
      'user-data': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const backend = await createBackend({
    host: { kind: 'browser' },
    userDataDir: values['user-data'] ?? defaultUserDataDir(),
  });
  const staticDir = fileURLToPath(new URL('../renderer/', import.meta.url));
  let port = Number(values.port);
  let host;
  for (let attempt = 0; ; attempt++) {
    try {
      host = await startBrowserHost({ backend, staticDir, port, token: process.env.DISM_STUDIO_TOKEN, extraHosts: values['allow-host'] });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && port !== 0 && attempt < 20) {
        console.error(`Port ${port} is taken; trying ${port + 1}.`);
        port += 1;
        continue;
      }
      throw err;
    }
  }
  console.log(`DISM Studio is running. Open:\n\n    ${host.url}\n\nPress Ctrl+C to stop (containers started by the app are stopped too).`);
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log('\nStopping…');
    await host.close();
    await backend.dispose();
    process.exit(0);
  };
  // A promise nobody awaited that failed is a bug to report, not a reason to drop every open job.
  process.on('unhandledRejection', (reason) => {
    console.error(
      `dism-studio serve: unexpected error (the server keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`dism-studio serve: ${(err as Error).message}`);
  process.exit(1);
});
