'use strict';
// Electron main process: a thin shell over the same ApiService that `pasam serve` uses. The page is
// served from our own app:// origin (contextIsolation, sandbox, no Node, strict CSP, no remote
// content); the API travels over IPC with a sender check on every call; training/inference run here.
const { app, BrowserWindow, Menu, dialog, ipcMain, protocol, session } = require('electron');
const { readFile } = require('node:fs/promises');
const path = require('node:path');
const { APP_ORIGIN, CONTENT_SECURITY_POLICY, isAllowedRequestUrl, isTrustedSenderUrl, parseMainArgs } = require('./mainSecurity.cjs');

protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };
const args = parseMainArgs(process.argv.slice(app.isPackaged ? 1 : 2));
let mainWindow = null;
let core = null;

// The bundler defines __PASAM_BUILT__ (npm run build → out/electronMain.cjs, what the package runs).
const BUILT = typeof __PASAM_BUILT__ !== 'undefined' && __PASAM_BUILT__;

/**
 * The app core. Built: bundled into this file (the requires below are resolved at build time) with
 * the renderer pre-built beside it. In a checkout: TypeScript/ESM compiled on load by tsx, exactly
 * as bin/pasam.js does, and the renderer rebuilt when its sources changed.
 */
async function importCore() {
  if (BUILT) {
    return { api: require('../app/api/apiService.ts'), types: require('../app/api/apiTypes.ts'), errors: require('../app/api/apiErrors.ts'), rendererDir: path.join(__dirname, 'renderer') };
  }
  const { register } = await import('tsx/esm/api');
  register();
  const source = (...parts) => path.join(__dirname, '..', ...parts);
  const api = await import(source('app', 'api', 'apiService.ts'));
  const types = await import(source('app', 'api', 'apiTypes.ts'));
  const errors = await import(source('app', 'api', 'apiErrors.ts'));
  const build = await import(source('renderer', 'build.mjs'));
  await build.ensureRendererBuilt();
  return { api, types, errors, rendererDir: build.RENDERER_DIST };
}

async function loadCore() {
  const { api, types, errors, rendererDir } = await importCore();
  const service = new api.ApiService({
    transport: 'electron',
    projectDir: args.projectDir ? path.resolve(args.projectDir) : undefined,
    workspaceDir: args.workspaceDir ? path.resolve(args.workspaceDir) : undefined,
    pickDirectory: async (title) => {
      const r = await dialog.showOpenDialog(mainWindow, { title, properties: ['openDirectory', 'createDirectory'] });
      return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0];
    },
  });
  return { service, types, errors, rendererDir };
}

async function handleAppRequest(request) {
  const url = new URL(request.url);
  if (url.host !== 'pasam') return new Response('not found', { status: 404 });
  if (url.pathname.startsWith('/bin/')) {
    const route = core.types.parseBinaryRoutePath(url.pathname);
    if (!route) return new Response('not found', { status: 404 });
    try {
      const { contentType, body } = await core.service.binary(route);
      return new Response(body, { headers: { 'Content-Type': contentType } });
    } catch (err) {
      const e = core.errors.toErrorBody(err);
      return new Response(e.message, { status: core.errors.httpStatusFor(e.code) });
    }
  }
  const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
  const file = path.normalize(path.join(core.rendererDir, rel));
  if (!file.startsWith(path.normalize(core.rendererDir) + path.sep)) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    const type = CONTENT_TYPES[path.extname(file)] || 'application/octet-stream';
    return new Response(body, { headers: { 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' } });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

function trustedEvent(event) {
  return Boolean(mainWindow) && event.sender === mainWindow.webContents && Boolean(event.senderFrame) && isTrustedSenderUrl(event.senderFrame.url);
}

function sendMenu(command) {
  if (mainWindow) mainWindow.webContents.send('pasam:event', { type: 'menu', command });
}

async function openProjectDialog() {
  const r = await dialog.showOpenDialog(mainWindow, { title: 'Open project folder', properties: ['openDirectory'] });
  if (!r.canceled && r.filePaths[0]) await openProject(r.filePaths[0]);
}

async function openProject(dir) {
  try {
    await core.service.call('projects.open', { dir });
    app.addRecentDocument(dir);
    await buildMenu();
  } catch (err) {
    dialog.showErrorBox('Cannot open project', err instanceof Error ? err.message : String(err));
  }
}

async function buildMenu() {
  const recent = await core.service.call('projects.recent', {}).catch(() => []);
  // Single-key tool shortcuts are shown but not registered (the page handles them, so typing in a
  // text field still works).
  const shown = (label, accelerator, command) => ({ label, accelerator, registerAccelerator: false, click: () => sendMenu(command) });
  const template = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => sendMenu('projects') },
        { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => void openProjectDialog() },
        { label: 'Open Recent', submenu: recent.length ? recent.slice(0, 10).map((r) => ({ label: `${r.name} — ${r.dir}`, click: () => void openProject(r.dir) })) : [{ label: 'No recent projects', enabled: false }] },
        { type: 'separator' },
        { label: 'Import Folder…', accelerator: 'CmdOrCtrl+I', click: () => sendMenu('import') },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', registerAccelerator: false, click: () => sendMenu('save') },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [shown('Undo', 'CmdOrCtrl+Z', 'undo'), shown('Redo', 'CmdOrCtrl+Shift+Z', 'redo'), { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    {
      label: 'Tools',
      submenu: [shown('Brush', 'B', 'tool-brush'), shown('Eraser', 'E', 'tool-eraser'), shown('Polygon', 'P', 'tool-polygon'), shown('SAM Prompts', 'S', 'tool-sam'), { type: 'separator' }, shown('Smaller Brush', '[', 'brush-smaller'), shown('Larger Brush', ']', 'brush-larger')],
    },
    {
      label: 'View',
      submenu: [
        shown('Projects', 'CmdOrCtrl+1', 'projects'),
        shown('Dataset', 'CmdOrCtrl+2', 'dataset'),
        shown('Annotate', 'CmdOrCtrl+3', 'annotate'),
        { type: 'separator' },
        shown('Previous Image', 'A', 'prev'),
        shown('Next Image', 'D', 'next'),
        shown('Next Unreviewed', 'N', 'next-unreviewed'),
        shown('Hide Masks', 'H', 'hide-masks'),
        shown('Fit to Window', 'F', 'fit'),
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' }]),
      ],
    },
    { label: 'Help', submenu: [shown('Keyboard Shortcuts', '?', 'help')] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function createWindow() {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#17181b',
    title: 'PA-SAM Workstation',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  const wc = mainWindow.webContents;
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  // Unsaved edits make the page refuse to unload while it flushes them; retry the close shortly.
  let closeTries = 0;
  wc.on('will-prevent-unload', () => {
    if (++closeTries > 20) return mainWindow.destroy();
    setTimeout(() => mainWindow && mainWindow.close(), 300);
  });
  mainWindow.once('ready-to-show', () => mainWindow.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

async function start() {
  core = await loadCore();
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequestUrl(details.url) }));
  protocol.handle('app', handleAppRequest);
  ipcMain.handle('pasam:invoke', async (event, method, params) => {
    if (!trustedEvent(event)) return { ok: false, error: { code: 'bad-request', message: 'refused: the IPC sender is not this app\'s page' } };
    try {
      return { ok: true, result: await core.service.call(String(method), params) };
    } catch (err) {
      return { ok: false, error: core.errors.toErrorBody(err) };
    }
  });
  core.service.onEvent((e) => {
    if (mainWindow) mainWindow.webContents.send('pasam:event', e);
    if (e.type === 'project.opened') void buildMenu();
  });
  await buildMenu();
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
    const again = parseMainArgs(argv.slice(app.isPackaged ? 1 : 2));
    if (again.projectDir && core) void openProject(path.resolve(again.projectDir));
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
  app.on('window-all-closed', () => {
    if (core) core.service.close();
    app.quit();
  });
  app.whenReady().then(start).catch((err) => {
    dialog.showErrorBox('PA-SAM Workstation could not start', err instanceof Error ? err.stack || err.message : String(err));
    app.exit(1);
  });
}
