// The contract between a tap point (our gateway, or a Node service tapping itself) and the tap: the tap
// point reports one exchange as it streams through; the tap decides whether to keep it, copies bodies
// up to its cap on the side, and ships matches to the loop server. No method here may throw into, block
// or alter the traffic it watches: implementations catch and count their own failures.
import type { ConnectionInfo, HeaderList } from '../../capture/capture.js';

export interface TapRequestInfo {
  method: string;
  /** The request target as received (`/api/x?y=1`). */
  path: string;
  authority: string;
  scheme: 'http' | 'https';
  /** Request headers as received, in order, without pseudo-headers. May be a getter building them on demand. */
  readonly headers: HeaderList;
  /**
   * The same headers in Node's flat form (`[name, value, name, value…]`), when the tap point has them: the tap
   * then reads these and leaves `headers` alone, so a getter behind `headers` runs only if someone needs it.
   */
  readonly rawHeaders?: readonly string[];
  /** The route's destination name (`web:9090`); the DESTINATION column of `loopctl list`. */
  destination: string;
  downstream?: ConnectionInfo;
}

/**
 * One exchange in flight. Calls arrive in this order; any may be skipped when the exchange fails early.
 * The tap may keep references to the chunks and header lists it is given until shortly after `end` (it finishes
 * ended exchanges together once the event loop turns, and copies only what it keeps): a tap point must not
 * modify them afterwards — Node's own `write()` asks the same of its callers.
 */
export interface TapExchange {
  requestData(chunk: Buffer): void;
  requestEnd(trailers?: HeaderList): void;
  /**
   * The response head as sent downstream — the upstream's, or one the gateway generated (502, 504) — its
   * headers in Node's flat form (`[name, value, name, value…]`), without `:status`. Flat because most
   * exchanges are decided here and never captured: pairs are made only for the ones a TapConfig keeps.
   */
  response(status: number, headers: readonly string[]): void;
  responseData(chunk: Buffer): void;
  /** The exchange is over: the response was sent completely, or it failed (`error` says how). */
  end(result?: { trailers?: HeaderList | undefined; error?: string | undefined; upstream?: ConnectionInfo | undefined }): void;
}

export interface Tap {
  /**
   * Called when the request headers arrive. Answers undefined when no TapConfig in force can match this
   * exchange (then nothing is copied at all), else a recorder for the rest of the exchange.
   */
  begin(info: TapRequestInfo): TapExchange | undefined;
  /**
   * True when `begin` and every method of the exchanges it answers catch their own errors (createTap's do):
   * a tap point may then skip wrapping each call in its own guard.
   */
  readonly catchesOwnErrors?: boolean;
  /** Ships what is queued (bounded by `timeoutMs`) and stops following the loop server. */
  close(timeoutMs?: number): Promise<void>;
}
