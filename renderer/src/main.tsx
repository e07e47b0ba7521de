import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createApiClient } from './apiClient.js';

createRoot(document.getElementById('root')!).render(<App api={createApiClient()} />);
