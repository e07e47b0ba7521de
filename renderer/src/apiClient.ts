// The renderer's only way to the backend: one typed client, two transports (HTTP/WebSocket in a
// browser served by `pasam serve`, `window.pasam` from the Electron preload).
import type { ApiEvent, ApiMethod, ApiParams, ApiResult, ApiErrorBody, BinaryRoute } from '../../app/api/apiTypes.js';
import { binaryRoutePath } from '../../app/api/apiTypes.js';
import { decodeMessage, encodeMessage } from '../../app/api/wireCodec.js';

export class ApiClientError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'] | 'network' | 'unauthorized',
    message: string,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

export interface ApiClient {
  call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
  /** URL for <img>/fetch of a binary route. */
  binUrl(route: BinaryRoute): string;
  /** 'connected' | 'reconnecting' for the status bar. */
  onConnection(listener: (connected: boolean) => void): () => void;
  /** Connected, reconnecting (server unreachable), or signed out (the server restarted with a new token). */
  onSession(listener: (s: SessionState) => void): () => void;
  /** Signs in with the URL the restarted server printed; 'navigate' when it is another address (a page load). */
  signIn(url: string): Promise<'ok' | 'navigate'>;
}

export type SessionState = 'connected' | 'reconnecting' | 'signed-out';

const SIGNED_OUT_MESSAGE = 'the server was restarted and this tab’s session ended: open the new URL `pasam serve` printed';

/** What the Electron preload exposes (contextBridge) as window.pasam. */
export interface PreloadBridge {
  invoke(method: string, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
  binBase: string;
}

async function gzip(bytes: Uint8Array): Promise<ArrayBuffer> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

class HttpApiClient implements ApiClient {
  private readonly listeners = new Set<(e: ApiEvent) => void>();
  private readonly connListeners = new Set<(c: boolean) => void>();
  private readonly sessionListeners = new Set<(s: SessionState) => void>();
  private socket: WebSocket | null = null;
  private session: SessionState = 'reconnecting';

  constructor() {
    this.connect();
  }

  private setSession(s: SessionState): void {
    if (s === this.session) return;
    this.session = s;
    this.sessionListeners.forEach((l) => l(s));
  }

  /** A closed event socket means the server is down, or up with a token this tab does not have. */
  private async probe(): Promise<void> {
    try {
      const res = await fetch('/api/host.info', { method: 'POST', headers: { 'Content-Type': 'application/x-pasam' }, body: encodeMessage({}) as BlobPart as BodyInit, credentials: 'same-origin' });
      this.setSession(res.status === 401 ? 'signed-out' : 'reconnecting');
    } catch {
      this.setSession('reconnecting');
    }
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/events`);
    this.socket = ws;
    ws.onopen = () => {
      this.setSession('connected');
      this.connListeners.forEach((l) => l(true));
    };
    ws.onmessage = (m) => {
      try {
        const e = JSON.parse(String(m.data)) as ApiEvent;
        this.listeners.forEach((l) => l(e));
      } catch {
        /* ignore malformed events */
      }
    };
    ws.onclose = () => {
      this.connListeners.forEach((l) => l(false));
      void this.probe();
      setTimeout(() => this.connect(), 1500);
    };
  }

  async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    const body = encodeMessage(params);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-pasam' };
    let payload: BodyInit = body as BlobPart as BodyInit;
    if (body.byteLength > 64 * 1024) {
      payload = await gzip(body);
      headers['Content-Encoding'] = 'gzip';
    }
    let res: Response;
    try {
      // keepalive lets a small request (most masks, gzipped) finish even if the window closes now.
      const size = payload instanceof ArrayBuffer ? payload.byteLength : body.byteLength;
      res = await fetch(`/api/${method}`, { method: 'POST', headers, body: payload, credentials: 'same-origin', keepalive: size < 60_000 });
    } catch (err) {
      throw new ApiClientError('network', `the server did not answer (${err instanceof Error ? err.message : String(err)})`);
    }
    if (res.status === 401) {
      this.setSession('signed-out');
      throw new ApiClientError('unauthorized', SIGNED_OUT_MESSAGE);
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.startsWith('application/x-pasam')) throw new ApiClientError('network', `${res.status} ${(await res.text()).trim()}`);
    const decoded = decodeMessage(new Uint8Array(await res.arrayBuffer())) as { ok: boolean; result?: unknown; error?: ApiErrorBody };
    if (!decoded.ok) throw new ApiClientError(decoded.error?.code ?? 'failed', decoded.error?.message ?? 'request failed');
    return decoded.result as ApiResult<M>;
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onConnection(listener: (c: boolean) => void): () => void {
    this.connListeners.add(listener);
    if (this.socket?.readyState === WebSocket.OPEN) listener(true);
    return () => this.connListeners.delete(listener);
  }

  onSession(listener: (s: SessionState) => void): () => void {
    this.sessionListeners.add(listener);
    listener(this.session);
    return () => this.sessionListeners.delete(listener);
  }

  async signIn(url: string): Promise<'ok' | 'navigate'> {
    let target: URL;
    try {
      target = new URL(url.trim());
    } catch {
      throw new ApiClientError('bad-request', `'${url}' is not a URL: paste the whole line \`pasam serve\` printed (http://…/?token=…)`);
    }
    if (!target.searchParams.get('token')) throw new ApiClientError('bad-request', 'that URL has no ?token=…: paste the whole line `pasam serve` printed');
    // Another address (the server chose a new port): only a page load gets there.
    if (target.origin !== location.origin) {
      location.href = target.href;
      return 'navigate';
    }
    // Same address: loading the page URL once stores the new token in the session cookie.
    const res = await fetch(`/?token=${encodeURIComponent(target.searchParams.get('token')!)}`, { credentials: 'same-origin' });
    if (res.status === 401) throw new ApiClientError('unauthorized', 'the server refused that token: copy the newest URL `pasam serve` printed');
    this.socket?.close();
    await this.probe();
    return 'ok';
  }

  binUrl(route: BinaryRoute): string {
    return binaryRoutePath(route);
  }
}

class ElectronApiClient implements ApiClient {
  constructor(private readonly bridge: PreloadBridge) {}

  async call<M extends ApiMethod>(method: M, params: ApiParams<M>): Promise<ApiResult<M>> {
    const r = await this.bridge.invoke(method, params);
    if (!r.ok) throw new ApiClientError(r.error.code, r.error.message);
    return r.result as ApiResult<M>;
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    return this.bridge.onEvent(listener);
  }

  onConnection(listener: (c: boolean) => void): () => void {
    listener(true);
    return () => undefined;
  }

  // In-process IPC has no session token to go stale: the main process and this window live and die together.
  onSession(listener: (s: SessionState) => void): () => void {
    listener('connected');
    return () => undefined;
  }

  async signIn(): Promise<'ok'> {
    return 'ok';
  }

  binUrl(route: BinaryRoute): string {
    return this.bridge.binBase + binaryRoutePath(route);
  }
}

export function createApiClient(): ApiClient {
  const bridge = (window as unknown as { pasam?: PreloadBridge }).pasam;
  return bridge ? new ElectronApiClient(bridge) : new HttpApiClient();
}
