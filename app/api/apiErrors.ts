// The error every API method throws for an expected failure; its code survives both transports.
import type { ApiErrorBody } from './apiTypes.js';

export class ApiError extends Error {
  readonly code: ApiErrorBody['code'];
  constructor(code: ApiErrorBody['code'], message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

export function httpStatusFor(code: ApiErrorBody['code']): number {
  switch (code) {
    case 'bad-request': return 400;
    case 'not-found': return 404;
    case 'no-project': return 409;
    case 'unavailable': return 503;
    default: return 500;
  }
}
