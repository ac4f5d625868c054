import { createContext, useContext, useEffect, type ReactNode } from 'react';
import type { DismApi } from '@/shared/api/client';
import type { EventName, EventPayload } from '@/shared/api/contract';

const ApiContext = createContext<DismApi | null>(null);

export function ApiProvider({ api, children }: { api: DismApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): DismApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

/** Subscribe to a back-end event for the component's lifetime. */
export function useApiEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void, deps: unknown[] = []): void {
  const api = useApi();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => api.on(event, listener), [api, event, ...deps]);
}
