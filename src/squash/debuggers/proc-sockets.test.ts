import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopback, ownListeners, parseProcNetTcp } from './proc-sockets.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2405 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 123457 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123458 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2406 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
`;

describe('parseProcNetTcp', () => {
  it('keeps listening sockets only, with address, port and inode', () => {
    expect(parseProcNetTcp(TCP)).toEqual([
      { address: '127.0.0.1', port: 9221, inode: 123456 },
      { address: '0.0.0.0', port: 5001, inode: 123458 },
    ]);
  });

  it('decodes IPv6 loopback', () => {
    const [s] = parseProcNetTcp(TCP6);
    expect(s?.port).toBe(9222);
    expect(isLoopback(s!.address)).toBe(true);
  });
});

describe('ownListeners', () => {
  it('finds a port this process listens on', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect((await ownListeners(process.pid)).map((s) => s.port)).toContain(port);
    } finally {
      server.close();
    }
  });
});
