"""The baseline: a minimal Flask app that answers one constant TwiML document to any POST.

Served by gunicorn with the same settings as the line (`bench.baseline:app`), it is what every
webhook's figures are divided by. `python -m bench.baseline --raw PORT` serves the same bytes
from a bare asyncio loop instead: the load driver's own ceiling is measured against that.
"""

from __future__ import annotations

import argparse
import asyncio

from flask import Flask, Response

# About the size of the line's greeting with its menu question.
BODY = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/menu?t=1" hints="uno, dos, cero" input="dtmf speech" '
    'language="es-US" method="POST" numDigits="1" speechTimeout="auto" timeout="6">'
    '<Say language="es-MX" voice="Polly.Mia-Neural">Gracias por llamar a CCO Apoyo Empresarial, '
    'Centro de Soporte Técnico. Si ya tiene un número de caso, marque 1. Para reportar una '
    'falla, marque 2. Para hablar con una persona, marque 0.</Say></Gather>'
    '<Redirect method="POST">/voice/menu?t=1</Redirect></Response>'
)

app = Flask(__name__)


@app.post("/", defaults={"path": ""})
@app.post("/<path:path>")
def answer(path: str) -> Response:
    """The same TwiML for every POST, whatever the path and form."""
    return Response(BODY, mimetype="text/xml")


async def _raw_server(port: int) -> None:
    """HTTP/1.1 keep-alive on a bare asyncio loop: the fastest server this machine has."""
    payload = BODY.encode()
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "
             + str(len(payload)).encode() + b"\r\n\r\n" + payload)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer every request on the connection until the client closes it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lower = head.lower()
                start = lower.find(b"content-length:")
                if start >= 0:
                    end = lower.find(b"\r\n", start)
                    await reader.readexactly(int(lower[start + 15:end]))
                writer.write(reply)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


def main() -> None:
    """`--raw PORT`: serve the baseline bytes without Flask or gunicorn."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=int, metavar="PORT", required=True)
    asyncio.run(_raw_server(parser.parse_args().raw))


if __name__ == "__main__":
    main()
