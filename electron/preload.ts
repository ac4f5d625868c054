import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

// The renderer gets exactly these functions, never ipcRenderer itself.
contextBridge.exposeInMainWorld('dismBridge', {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke('dism:invoke', method, input),
  on: (event: string, listener: (payload: unknown) => void) => {
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on('dism:event', wrapped);
    return () => ipcRenderer.removeListener('dism:event', wrapped);
  },
  openExternal: (url: string) => ipcRenderer.invoke('dism:openExternal', url),
});
