import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api/ApiContext';
import { createApi } from './api/create-api';
import { App } from './shell/App';
import { useAppStore } from './store/app-store';
import './styles.css';

const api = createApi((connected) => useAppStore.getState().setConnected(connected));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider api={api}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
