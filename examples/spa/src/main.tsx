// The single-page app's entry: renders App into index.html's #root, under StrictMode (whose
// double mount in development starts one session-security client, not two).

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
