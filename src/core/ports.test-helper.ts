// Loopback ports for tests: one held open (to be found in use), and one nothing listens on.
import http from 'node:http';
import { listen, type Listening } from './listen.js';

/** A loopback port held by a listening server until its `close()`. */
export function holdPort(): Promise<Listening> {
  return listen(http.createServer(), { host: '127.0.0.1', port: 0 });
}

/** A loopback port nothing listens on: bound a moment ago, then released. */
export async function freePort(): Promise<number> {
  const held = await holdPort();
  await held.close();
  return held.port;
}
