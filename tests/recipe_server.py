"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for the recipe tests.

Each POST /v1/chat/completions takes the next item of the script: a reply built with
`tool_reply`/`text_reply`, or an `error(status, ...)`. A callable item receives the
request body and returns such an item. Requests (body and headers) are recorded.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


def tool_reply(*calls: tuple[str, Any], prompt_tokens: int = 120, completion_tokens: int = 40) -> dict:
    """An assistant message calling tools; arguments given as a dict are JSON-encoded, a str is sent raw."""
    tool_calls = [
        {"id": f"call_{i}", "type": "function",
         "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
        for i, (name, args) in enumerate(calls)
    ]
    return {"status": 200, "message": {"role": "assistant", "content": None, "tool_calls": tool_calls},
            "usage": (prompt_tokens, completion_tokens)}


def text_reply(text: str, prompt_tokens: int = 100, completion_tokens: int = 10) -> dict:
    return {"status": 200, "message": {"role": "assistant", "content": text}, "usage": (prompt_tokens, completion_tokens)}


def error(status: int, message: str = "scripted error", code: str | None = None, headers: dict | None = None) -> dict:
    return {"status": status, "error": {"message": message, "type": "scripted", "code": code}, "headers": headers or {}}


class ScriptedServer:
    """Serves the script in order; `requests` holds what the client sent."""

    def __init__(self, script: list[dict | Callable[[dict], dict]], model: str = "gpt-4o-mini"):
        self.script, self.model = list(script), model
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server.lock:
                    server.requests.append({"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
                    item = server.script.pop(0) if server.script else error(418, "the test script is exhausted")
                if callable(item):
                    item = item(body)
                self._send(item)

            def _send(self, item: dict):
                if item["status"] != 200:
                    payload = {"error": item["error"]}
                else:
                    p, c = item["usage"]
                    payload = {
                        "id": f"chatcmpl-{len(server.requests)}", "object": "chat.completion", "created": 0,
                        "model": server.model,
                        "choices": [{"index": 0, "message": item["message"],
                                     "finish_reason": "tool_calls" if item["message"].get("tool_calls") else "stop"}],
                        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
                    }
                data = json.dumps(payload).encode()
                self.send_response(item["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in item.get("headers", {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads, self.httpd.block_on_close = True, False  # a slow scripted reply must not hold up the test
        self.httpd.handle_error = lambda request, address: None  # a client that gave up (timeout) is expected here
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def tool_messages(self, request_index: int) -> list[str]:
        """Contents of the tool results in the request with this index."""
        return [m["content"] for m in self.requests[request_index]["body"]["messages"] if m["role"] == "tool"]

    def last_user_message(self, request_index: int) -> str:
        return [m["content"] for m in self.requests[request_index]["body"]["messages"] if m["role"] == "user"][-1]
