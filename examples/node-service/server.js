// A payment service for Squash's Node debugger tests: GET /pay?amount=N answers JSON.
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';

function pay(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/pay') {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const amount = Number.parseInt(url.searchParams.get('amount') ?? '', 10);
  if (Number.isNaN(amount)) {
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"amount must be an integer"}');
    return;
  }
  const fee = Math.trunc(amount / 100); // a breakpoint here sees amount (squash:breakpoint)
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ amount, fee }));
}

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const server = createServer(pay);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
