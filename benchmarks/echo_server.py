"""A bare Flask-SocketIO server that speaks just enough of the chat protocol to be benchmarked.

The floor that benchmarks/turn.py compares the real server with: the same async mode (threading,
WebSockets through simple-websocket), the same Socket.IO settings as app/__init__.py and the same
server as ``flask serve`` (gunicorn's thread worker, one process, as many threads, events on their
connection's thread), but no database, dialogue or templates. On connect it emits a
``turn``; each ``answer`` is acknowledged with ``{"ok": true}`` and followed by the next ``turn``,
a fixed payload shaped (and sized, about 2 KB) like a real one.

    python benchmarks/echo_server.py --port 5001
"""

from __future__ import annotations

import argparse

from flask import Flask
from flask_socketio import SocketIO, emit
from gunicorn.app.base import BaseApplication

NAMESPACE = "/chat"

app = Flask(__name__)
app.config["SECRET_KEY"] = "echo"
socketio = SocketIO(
    app,
    async_mode="threading",
    message_queue=None,
    cors_allowed_origins=None,
    max_http_buffer_size=64 * 1024,
    async_handlers=False,
    logger=False,
    engineio_logger=False,
)

# A real turn is 1.7-5 KB of JSON, most of it the card's HTML; this one is about 2 KB.
TURN = {
    "step": "echo",
    "messages": ["This is the echo server. It answers every answer with this same question."],
    "input": {
        "kind": "choice",
        "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
        "optional": False,
    },
    "progress": {"current": 1, "total": 1, "text": "Question 1 of 1", "left": "1 left"},
    "finished": False,
    "answer": None,
    "can_go_back": False,
    "language": "en",
    "dir": "ltr",
    "settings": {"easy_read": False, "text_size": "normal", "high_contrast": False},
    "card": "<div class=card>" + "<p>padding to the size of a real card</p>" * 45 + "</div>",
}


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth=None):
    emit("turn", TURN)


@socketio.on("answer", namespace=NAMESPACE)
def on_answer(data=None):
    emit("turn", TURN)
    return {"ok": True}


class Server(BaseApplication):
    """gunicorn as app/serving.py configures it (threads, one process), for this app."""

    def __init__(self, host: str, port: int):
        self.bind = f"{host}:{port}"
        super().__init__()

    def load_config(self):
        options = {
            "bind": self.bind,
            "workers": 1,
            "worker_class": "gthread",
            "threads": 500,  # SERVER_THREADS' default
            "worker_connections": 600,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        if "control_socket_disable" in self.cfg.settings:  # gunicorn 25 and later
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=5001, type=int)
    args = parser.parse_args()
    Server(args.host, args.port).run()


if __name__ == "__main__":
    main()
