// Defensive wrapping of the tap. The tap promises never to throw, but a bug there must not reach proxied
// traffic: each call is caught, and an exchange whose tap threw once is not tapped any further.
import type { Tap, TapExchange, TapRequestInfo } from '../tap/tap-types.js';

export function beginGuarded(tap: Tap, info: TapRequestInfo, onError: (err: unknown) => void): TapExchange | undefined {
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
  let broken = false;
  const guard =
    <A extends unknown[]>(method: (...args: A) => void) =>
    (...args: A): void => {
      if (broken) return;
      try {
        method(...args);
      } catch (err) {
        broken = true;
        onError(err);
      }
    };
  return {
    requestData: guard((chunk: Buffer) => exchange.requestData(chunk)),
    requestEnd: guard((trailers?: Parameters<TapExchange['requestEnd']>[0]) => exchange.requestEnd(trailers)),
    response: guard((status: number, headers: Parameters<TapExchange['response']>[1]) => exchange.response(status, headers)),
    responseData: guard((chunk: Buffer) => exchange.responseData(chunk)),
    end: guard((result?: Parameters<TapExchange['end']>[0]) => exchange.end(result)),
  };
}
