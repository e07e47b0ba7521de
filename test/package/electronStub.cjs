'use strict';
// Stands in for the `electron` module when the packaged main bundle runs in plain Node (no Electron
// binary can be installed here). It implements only what main/electronMain.cjs calls, records the
// IPC handlers, protocol handlers and windows it registers, and lets the driver call them as the
// page would. It is Electron's API surface, not a copy of any of our code.
const { EventEmitter } = require('node:events');

const ipcHandlers = new Map();
const protocolHandlers = new Map();
const windows = [];

const app = Object.assign(new EventEmitter(), {
  isPackaged: true,
  quitCalled: false,
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock: () => true,
  addRecentDocument: () => undefined,
  quit() {
    app.quitCalled = true;
  },
  exit(code) {
    process.exit(code);
  },
});

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.options = options;
    this.url = null;
    this.webContents = Object.assign(new EventEmitter(), { sent: [], send(channel, payload) { this.sent.push({ channel, payload }); }, setWindowOpenHandler() {} });
    windows.push(this);
  }
  loadURL(url) {
    this.url = url;
    return Promise.resolve();
  }
  show() {}
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  close() {
    this.emit('closed');
  }
  destroy() {
    this.emit('closed');
  }
  static getAllWindows() {
    return windows;
  }
}

const errors = [];
module.exports = {
  app,
  BrowserWindow,
  Menu: { buildFromTemplate: (template) => template, setApplicationMenu: () => undefined },
  dialog: {
    showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    showErrorBox: (title, message) => errors.push(`${title}: ${message}`),
  },
  ipcMain: { handle: (channel, handler) => ipcHandlers.set(channel, handler) },
  protocol: { registerSchemesAsPrivileged: () => undefined, handle: (scheme, handler) => protocolHandlers.set(scheme, handler) },
  session: { defaultSession: { setPermissionRequestHandler: () => undefined, webRequest: { onBeforeRequest: () => undefined } } },
  __stub: { ipcHandlers, protocolHandlers, windows, errors },
};
