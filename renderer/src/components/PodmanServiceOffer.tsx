import { useState } from 'react';
import type { EngineStatus } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { useAppStore } from '@/renderer/src/store/app-store';
import { ErrorCard } from './ErrorCard';

/**
 * When no engine answers on an lxplus-like host (podman installed, no API socket, no systemd user
 * session): what DISM Studio can start itself, and the button that does it. Also shows the service
 * DISM Studio started, once it runs.
 */
export function PodmanServiceOffer({ engine }: { engine: EngineStatus }) {
  const api = useApi();
  const setEngine = useAppStore((s) => s.setEngine);
  const [starting, setStarting] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);

  if (engine.podmanService) {
    const s = engine.podmanService;
    return (
      <p className="podman-started" data-testid="podman-service">
        DISM Studio started <code>{s.command}</code> (process {s.pid}, at {new Date(s.startedAt).toLocaleTimeString()}) and uses it. It runs
        as a child of DISM Studio and stops when DISM Studio quits.
      </p>
    );
  }
  const offer = engine.podmanOffer;
  if (!offer) return null;
  const start = async () => {
    setStarting(true);
    setFailure(null);
    try {
      setEngine(await api.invoke('engine.startPodmanService', {}));
    } catch (err) {
      setFailure(err);
    } finally {
      setStarting(false);
    }
  };
  return (
    <div className="podman-offer" data-testid="podman-offer">
      <p>
        {offer.why} DISM Studio can start the Podman API service now and use it: <code>{offer.command}</code>. It runs as a child of DISM
        Studio and stops when DISM Studio quits.
      </p>
      <button className="button primary" onClick={() => void start()} disabled={starting}>
        {starting ? 'Starting Podman…' : 'Start Podman service'}
      </button>
      {failure !== null && <ErrorCard title="Podman did not start" error={failure} />}
    </div>
  );
}
