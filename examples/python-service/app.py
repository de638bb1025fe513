"""A payment service for Squash's Python debugger tests: GET /pay?amount=N answers JSON."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class PayHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/pay":
            self.answer(404, {"error": "not found"})
            return
        try:
            amount = int(parse_qs(url.query).get("amount", [""])[0])
        except ValueError:
            self.answer(400, {"error": "amount must be an integer"})
            return
        fee = amount // 100  # a breakpoint here sees amount (squash:breakpoint)
        self.answer(200, {"amount": amount, "fee": fee})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # keep stdout for the "listening on" line


def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "0"))
    server = ThreadingHTTPServer(("127.0.0.1", port), PayHandler)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
