import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';

type Controller = Dispatcher.DispatchController;

/**
 * The controller-based half of undici's handler interface (undici 7): what the dispatcher talks to.
 * Handlers written against the older callback interface (`onConnect`/`onHeaders`/`onData`/
 * `onComplete`/`onError`, still what `fetch`, `request` and Node 20's built-in `fetch` pass) are
 * adapted by {@link toResponseHandler}.
 */
export interface ResponseHandler {
  onRequestStart?(controller: Controller, context: unknown): void;
  onRequestUpgrade?(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void;
  onResponseStart?(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void;
  onResponseData?(controller: Controller, chunk: Buffer): void;
  onResponseEnd?(controller: Controller, trailers: IncomingHttpHeaders): void;
  onResponseError?(controller: Controller, error: Error): void;
}

/** The handler as is when it speaks the controller interface, else an adapter over its callbacks. */
export function toResponseHandler(handler: Dispatcher.DispatchHandler): ResponseHandler {
  return typeof handler.onRequestStart === 'function' ? handler : new CallbackHandler(handler);
}

/**
 * Presents a callback-style handler through the controller interface. Raw header buffers are taken
 * from the controller when the connection kept them (exact bytes, repeated names preserved) and
 * rebuilt from the parsed headers otherwise; a callback returning `false` pauses the response.
 */
class CallbackHandler implements ResponseHandler {
  constructor(private readonly handler: Dispatcher.DispatchHandler) {}

  onRequestStart(controller: Controller, context: unknown): void {
    const onConnect = this.handler.onConnect as
      ((abort: (e?: Error) => void, context: unknown) => void) | undefined;
    onConnect?.call(this.handler, (reason) => controller.abort(reason ?? abortError()), context);
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    socket: Duplex,
  ): void {
    this.handler.onUpgrade?.(statusCode, rawOf(controller.rawHeaders, headers), socket);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    this.handler.onResponseStarted?.();
    const raw = rawOf(controller.rawHeaders, headers);
    const resume = (): void => controller.resume();
    if (this.handler.onHeaders?.(statusCode, raw, resume, message ?? '') === false) controller.pause();
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.handler.onData?.(chunk) === false) controller.pause();
  }

  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void {
    const raw = rawOf(controller.rawTrailers, trailers).map((b) => b.toString('latin1'));
    this.handler.onComplete?.(raw);
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.handler.onError?.(error);
  }
}

/** Flat `[name, value, name, value…]` buffers, as the callback interface expects. */
function rawOf(kept: Controller['rawHeaders'], parsed: IncomingHttpHeaders): Buffer[] {
  if (Array.isArray(kept) && kept.every((b) => Buffer.isBuffer(b))) return kept as Buffer[];
  const raw: Buffer[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      raw.push(Buffer.from(name, 'latin1'), Buffer.from(v, 'latin1'));
    }
  }
  return raw;
}

function abortError(): Error {
  return new DOMException('The operation was aborted.', 'AbortError');
}
