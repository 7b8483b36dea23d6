"""The HTTP SMS API of examples/carrier_example, mocked (stdlib only).

    mock_api.py PORT_FILE LOG_FILE TOKEN [LIFETIME_S]

Listens on 127.0.0.1 (a free port, written to PORT_FILE once listening).
POST /v1/sms with "Authorization: Bearer TOKEN" answers 200 and a message
id "msg-<n>"; a wrong token 401; a "to" ending in 404 answers 404 (no
route). Each request is appended to LOG_FILE as one JSON line (method,
path, headers, form). It exits by itself after LIFETIME_S (default 120)
so a failed test never leaves it behind.
"""
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    port_file, log_file, token = sys.argv[1:4]
    lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    lock = threading.Lock()
    counter = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10

        def log_message(self, fmt, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                               keep_blank_values=True))
            with lock:
                counter[0] += 1
                n = counter[0]
                with open(log_file, "a") as f:
                    f.write(json.dumps({"method": "POST", "path": self.path,
                                        "headers": {k.lower(): v for k, v in self.headers.items()},
                                        "form": form}) + "\n")
            if self.path != "/v1/sms":
                status, answer = 404, "no such endpoint\n"
            elif self.headers.get("Authorization") != "Bearer " + token:
                status, answer = 401, "bad token\n"
            elif form.get("to", "").endswith("404"):
                status, answer = 404, "no route to this number\n"
            else:
                status, answer = 200, f"msg-{n}\n"
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Timer(lifetime, server.shutdown).start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    # Renamed into place: the test never reads a half-written port.
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
