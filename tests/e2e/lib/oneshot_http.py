"""oneshot_http.py - an HTTP/1.0 server that answers every request with one
fixed body and closes the connection, without Content-Length: the only end
of the body a client sees is the close, as with a scrape target that dies
mid-write.  Used by tests/e2e/scrape_truncated.sh.

    python3 oneshot_http.py PORTFILE BODYFILE CONTENT-TYPE

Listens on 127.0.0.1, on a free port written to PORTFILE once listening.
"""
import socket
import sys

portfile, bodyfile, ctype = sys.argv[1:4]
body = open(bodyfile, "rb").read()
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        chunk = c.recv(4096)
        if not chunk:
            break
        req += chunk
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    c.close()
