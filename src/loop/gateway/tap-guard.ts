// Defensive wrapping of the tap. The tap promises never to throw, but a bug there must not reach proxied
// traffic: each call is caught, and an exchange whose tap threw once is not tapped any further.
import type { Tap, TapExchange, TapRequestInfo } from '../tap/tap-types.js';

export function beginGuarded(tap: Tap, info: TapRequestInfo, onError: (err: unknown) => void): TapExchange | undefined {
  if (tap.catchesOwnErrors === true) return tap.begin(info);
  let exchange: TapExchange | undefined;
  try {
    exchange = tap.begin(info);
  } catch (err) {
    onError(err);
    return undefined;
  }
  return exchange == null ? undefined : guardExchange(exchange, onError);
}

function guardExchange(exchange: TapExchange, onError: (err: unknown) => void): TapExchange {
  return new GuardedExchange(exchange, onError);
}

/** A class rather than five closures per exchange: this sits on every tapped request. */
class GuardedExchange implements TapExchange {
  private broken = false;
  constructor(
    private readonly exchange: TapExchange,
    private readonly onError: (err: unknown) => void,
  ) {}

  requestData(chunk: Buffer): void {
    if (this.broken) return;
    try {
      this.exchange.requestData(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  requestEnd(trailers?: Parameters<TapExchange['requestEnd']>[0]): void {
    if (this.broken) return;
    try {
      this.exchange.requestEnd(trailers);
    } catch (err) {
      this.fail(err);
    }
  }

  response(status: number, headers: Parameters<TapExchange['response']>[1]): void {
    if (this.broken) return;
    try {
      this.exchange.response(status, headers);
    } catch (err) {
      this.fail(err);
    }
  }

  responseData(chunk: Buffer): void {
    if (this.broken) return;
    try {
      this.exchange.responseData(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  end(result?: Parameters<TapExchange['end']>[0]): void {
    if (this.broken) return;
    try {
      this.exchange.end(result);
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.broken = true;
    this.onError(err);
  }
}
