// The renderer's only way to the backend: one typed client, two transports (HTTP/WebSocket in a
// browser served by `pasam serve`, `window.pasam` from the Electron preload).
import type { ApiEvent, ApiMethod, ApiParams, ApiResult, ApiErrorBody, BinaryRoute } from '../../app/api/apiTypes.js';
import { binaryRoutePath } from '../../app/api/apiTypes.js';
import { decodeMessage, encodeMessage } from '../../app/api/wireCodec.js';

export class ApiClientError extends Error {
  constructor(
    readonly code: ApiErrorBody['code'] | 'network',
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
}

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
  private socket: WebSocket | null = null;

  constructor() {
    this.connect();
  }

  private connect(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/events`);
    this.socket = ws;
    ws.onopen = () => this.connListeners.forEach((l) => l(true));
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

  binUrl(route: BinaryRoute): string {
    return this.bridge.binBase + binaryRoutePath(route);
  }
}

export function createApiClient(): ApiClient {
  const bridge = (window as unknown as { pasam?: PreloadBridge }).pasam;
  return bridge ? new ElectronApiClient(bridge) : new HttpApiClient();
}
