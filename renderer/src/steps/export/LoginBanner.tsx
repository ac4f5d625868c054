import { DeviceLoginBanner } from '@/renderer/src/components/DeviceLoginBanner';

/** The device login dismcli is waiting for: one big button that opens the browser, and the time left. */
export function LoginBanner({ url, expiresAt }: { url: string; expiresAt: string }) {
  return (
    <DeviceLoginBanner
      title="dismcli is waiting for you to log in to DIALS."
      text="Open the CERN login page, sign in and approve the device; dismcli continues by itself."
      url={url}
      expiresAt={expiresAt}
    />
  );
}
