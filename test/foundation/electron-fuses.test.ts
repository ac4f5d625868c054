import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The Electron fuses `npm run dist` flips (package.json build.electronFuses), run through the same
 * code electron-builder runs after packing (its fuse-config translation, then @electron/fuses) on a
 * stand-in for the Electron executable: a file holding the fuse sentinel and a wire with Electron's
 * default states (the real binary cannot be downloaded here).
 */
const require = createRequire(import.meta.url);
const { PlatformPackager } = require('app-builder-lib');
const fuses = require('@electron/fuses');

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 49; // '1'
const DISABLE = 48; // '0'
// Electron's defaults, in wire order: RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect,
// EmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar, LoadBrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges.
const ELECTRON_DEFAULTS = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dism-fuses-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Electron fuses in the build', () => {
  it('turn off running as Node, NODE_OPTIONS, --inspect and file:// privileges; turn on cookie encryption, asar-only and asar integrity', async () => {
    const config = JSON.parse(readFileSync('package.json', 'utf8')).build.electronFuses;
    const executable = path.join(tmp, 'dism-studio');
    writeFileSync(
      executable,
      Buffer.concat([
        Buffer.from('\x7fELF…padding…'),
        Buffer.from(SENTINEL),
        Buffer.from([1, ELECTRON_DEFAULTS.length, ...ELECTRON_DEFAULTS]),
        Buffer.from('…rest of the binary'),
      ]),
    );
    const fuseConfig = await PlatformPackager.prototype.generateFuseConfig.call({}, config);
    await fuses.flipFuses(executable, fuseConfig);
    const wire = await fuses.getCurrentFuseWire(executable);
    const O = fuses.FuseV1Options;
    expect({
      runAsNode: wire[O.RunAsNode],
      enableCookieEncryption: wire[O.EnableCookieEncryption],
      enableNodeOptionsEnvironmentVariable: wire[O.EnableNodeOptionsEnvironmentVariable],
      enableNodeCliInspectArguments: wire[O.EnableNodeCliInspectArguments],
      enableEmbeddedAsarIntegrityValidation: wire[O.EnableEmbeddedAsarIntegrityValidation],
      onlyLoadAppFromAsar: wire[O.OnlyLoadAppFromAsar],
      grantFileProtocolExtraPrivileges: wire[O.GrantFileProtocolExtraPrivileges],
    }).toEqual({
      runAsNode: DISABLE,
      enableCookieEncryption: ENABLE,
      enableNodeOptionsEnvironmentVariable: DISABLE,
      enableNodeCliInspectArguments: DISABLE,
      enableEmbeddedAsarIntegrityValidation: ENABLE,
      onlyLoadAppFromAsar: ENABLE,
      grantFileProtocolExtraPrivileges: DISABLE,
    });
    // The app ships as an asar archive (what onlyLoadAppFromAsar and the integrity check rely on).
    expect(JSON.parse(readFileSync('package.json', 'utf8')).build.asar ?? true).toBe(true);
  });
});
