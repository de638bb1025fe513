// The helper process of the netns dialer. It is started as `nsenter --net=/proc/PID/ns/net -- node
// netns-forwarder.js SOCKET`, so it lives in the target's network namespace but keeps our mount namespace:
// it listens on the filesystem Unix socket SOCKET (pathname sockets are not scoped by network namespace)
// and connects each accepted connection to the TCP host:port its first line names, in the target's
// namespace. It never listens on TCP, and exits when its owner closes its stdin (or dies).
//
// Per connection: the client sends `HOST PORT\n`; the helper answers `OK\n` once connected, or
// `ERR CODE\n` (ECONNREFUSED, …) and closes; after OK the bytes flow unchanged both ways.
// Self-contained on purpose (node: modules only): it is run on its own, outside the package's loader.
import { connect, createServer, type Socket } from 'node:net';

const MAX_HEADER = 300;

function forward(client: Socket): void {
  let header = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    header = Buffer.concat([header, chunk]);
    const nl = header.indexOf(0x0a);
    if (nl < 0) {
      if (header.length > MAX_HEADER) client.destroy();
      return;
    }
    client.off('data', onData);
    client.pause();
    const rest = header.subarray(nl + 1);
    const [host = '', portText = ''] = header.subarray(0, nl).toString('latin1').split(' ');
    const port = Number(portText);
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65_535) {
      client.end('ERR EINVAL\n');
      return;
    }
    let connected = false;
    const upstream = connect({ host, port, allowHalfOpen: true });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      if (connected) client.destroy();
      else client.end(`ERR ${err.code ?? 'ECONNFAILED'}\n`);
    });
    upstream.once('connect', () => {
      connected = true;
      client.write('OK\n');
      if (rest.length > 0) upstream.write(rest);
      client.on('error', () => upstream.destroy());
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      // pipe() carries each side's end to the other, so half-closed protocols keep working.
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  client.on('data', onData);
  client.on('error', () => client.destroy());
}

function main(): void {
  const socketPath = process.argv[2];
  if (!socketPath) {
    process.stderr.write('usage: netns-forwarder SOCKET\n');
    process.exit(2);
  }
  // The lifeline: our owner holds the other end of stdin. EOF means it is gone (or closed the dialer).
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  const server = createServer({ allowHalfOpen: true }, forward);
  server.once('error', (err) => {
    process.stderr.write(`netns-forwarder: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(socketPath, () => process.stdout.write('ready\n'));
}

main();
