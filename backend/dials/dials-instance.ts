import type { DialsChoice, DialsTarget } from '@/shared/api/contract/dismcli';
import { ApiError } from '@/shared/api/errors';
import type { AppSettingsStore } from '../projects/app-settings';

/**
 * The DIALS instance of a project: production, development or a custom base URL, chosen once per
 * project and used by everything that talks to DIALS (dismcli in the Export step, sign-in, fetches
 * and production flags). The API lives under `<base URL>/api/v1/`.
 */
export const DIALS_URLS = {
  production: 'https://cmsdials-api.web.cern.ch',
  development: 'https://dev-cmsdials-api.web.cern.ch',
} as const;

/** The setting's key predates the DIALS panel (the Export step introduced it); kept so existing choices stay. */
const SETTING_KEY = 'dismcli.dials';

function dialsTarget(choice: DialsChoice, customUrl?: string): DialsTarget {
  if (choice !== 'custom') return { choice, url: DIALS_URLS[choice], ...(customUrl ? { customUrl } : {}) };
  const url = (customUrl ?? '').trim();
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    /* reported below */
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    throw new ApiError(
      'INVALID_URL',
      `The custom DIALS URL must be an http(s) address such as https://dev-cmsdials-api.web.cern.ch, got "${url}".`,
      undefined,
      'InvalidUrlError',
    );
  }
  return { choice, url: url.replace(/\/+$/, ''), customUrl: url };
}

/** The DIALS instance remembered for a project; development until the user picks (validation there is harmless). */
export async function loadDialsTarget(settings: AppSettingsStore, projectDir: string): Promise<DialsTarget> {
  const saved = await settings.projectSetting<{ choice?: DialsChoice; customUrl?: string }>(projectDir, SETTING_KEY);
  try {
    return dialsTarget(saved?.choice ?? 'development', saved?.customUrl);
  } catch {
    return dialsTarget('development', saved?.customUrl);
  }
}

export async function saveDialsTarget(
  settings: AppSettingsStore,
  projectDir: string,
  choice: DialsChoice,
  customUrl?: string,
): Promise<DialsTarget> {
  const target = dialsTarget(choice, customUrl);
  const previous = await settings.projectSetting<{ customUrl?: string }>(projectDir, SETTING_KEY);
  // Keep the custom URL the user typed even while production/development is selected.
  await settings.setProjectSetting(projectDir, SETTING_KEY, { choice, customUrl: customUrl ?? previous?.customUrl });
  return target;
}

/**
 * The CLI's `--instance`: `production` (the default, as in the DIALS Python client), `development`
 * or any http(s) base URL, so scripts can point it anywhere.
 */
export function instanceFromArgument(arg: string | undefined): DialsTarget {
  const v = (arg ?? 'production').trim();
  if (v === 'production' || v === 'development') return dialsTarget(v);
  return dialsTarget('custom', v);
}
