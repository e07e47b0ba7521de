'use strict';
// Sandboxed preload: exposes exactly the typed API's transport (invoke, events) to the page, and
// nothing of Node or Electron.
const { contextBridge, ipcRenderer } = require('electron');

contextBridge.exposeInMainWorld('pasam', {
  invoke: (method, params) => ipcRenderer.invoke('pasam:invoke', String(method), params),
  onEvent: (listener) => {
    const handler = (_event, payload) => listener(payload);
    ipcRenderer.on('pasam:event', handler);
    return () => ipcRenderer.removeListener('pasam:event', handler);
  },
  binBase: 'app://pasam',
});
