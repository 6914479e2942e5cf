"""OpenAI-compatible chat completions over aiohttp, streaming SSE.

Why aiohttp rather than httpx: this client is the hot path of both ``eval`` and ``perf``. The
perf issue asks for tens of thousands of streamed chunks per second on two cores and for chunk
stamps taken when bytes arrive; aiohttp's stream reader lets us stamp each network read before
parsing it, and costs a fraction of the CPU per request.

Timing rules (see ``Timing``): ``sent`` is stamped just before the request is written,
``first_byte`` when the response headers arrive, and each content chunk with the arrival time
of the network read that carried it.

"Arrival" is taken in the transport's callback (``_StampingHandler.data_received``), the
first Python code that sees the bytes: before aiohttp parses them and before the reading
coroutine resumes. A busy event loop resumes that coroutine late, after it has parsed other
streams' chunks, so a clock read in the coroutine would add the client's own queueing to
every latency; the transport's stamp does not. On an event loop from ``stamping_event_loop``
(``baimo perf`` uses one) the stamp is earlier still: the moment ``select()`` reported the
socket readable, before the loop ran any callback of that turn. What remains is the time the
bytes waited in the kernel while the loop was busy, which is the loop lag that ``baimo perf``
measures and reports. Where the protocol cannot be hooked (another aiohttp version), the
coroutine's clock is used instead.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import math
import selectors
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp.client_proto import ResponseHandler

from baimo.config import ModelConfig
from baimo.models.base import (
    Completion,
    ProviderError,
    Timing,
    Usage,
    clean_reason,
    estimate_tokens,
)
from baimo.models.presets import PRESETS

_perf = time.perf_counter
_MAX_ARRIVALS = 4096


class StampingSelector(selectors.DefaultSelector):
    """The platform's selector, remembering when each ``select()`` call returned."""

    last_select = 0.0

    def select(self, timeout: float | None = None
               ) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(timeout)
        self.last_select = _perf()
        return ready


def stamping_event_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose network reads are stamped when ``select()`` reports them.

    Use it (``asyncio.Runner(loop_factory=stamping_event_loop)``) where latencies are
    measured: see the module docstring.
    """
    return asyncio.SelectorEventLoop(StampingSelector())


class _StampingHandler(ResponseHandler):
    """aiohttp's connection protocol, recording when each network read arrives.

    ``arrivals`` holds ``(perf_counter, payload bytes received so far)`` per read: the
    position says which SSE lines a read completed, so a reader that fell behind can still
    give each line the time its bytes arrived. The reader empties the list as it reads.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[float, int]] = []
        sel = getattr(self._loop, "_selector", None)
        self._select_clock = sel if isinstance(sel, StampingSelector) else None

    def data_received(self, data: bytes) -> None:
        sel = self._select_clock
        now = sel.last_select if sel is not None else _perf()
        super().data_received(data)
        payload = self._payload
        arrivals = self.arrivals
        if len(arrivals) >= _MAX_ARRIVALS:  # nobody is reading them (e.g. a non-stream body)
            del arrivals[:_MAX_ARRIVALS // 2]
        arrivals.append((now, payload.total_bytes if payload is not None else 0))


def _stamping_connector(limit: int) -> aiohttp.TCPConnector:
    """A connector whose connections record arrival times (see ``_StampingHandler``)."""
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit, ttl_dns_cache=300,
                                     keepalive_timeout=30)
    if hasattr(connector, "_factory"):
        connector._factory = functools.partial(  # type: ignore[assignment]
            _StampingHandler, loop=asyncio.get_running_loop())  # builds each connection
    return connector


def _arrivals_of(resp: aiohttp.ClientResponse, since: float) -> _StampingHandler | None:
    """The response's stamping protocol, with reads from before ``since`` dropped."""
    conn = resp.connection
    proto = conn.protocol if conn is not None else None
    if not isinstance(proto, _StampingHandler):
        return None
    arr = proto.arrivals
    if arr and arr[0][0] < since:  # the tail of the previous response on this connection
        proto.arrivals = [a for a in arr if a[0] >= since]
    return proto


def _seconds(value: str, scale: float = 1.0) -> float | None:
    try:
        seconds = float(value.strip()) * scale
    except ValueError:
        return None
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)  # inf stays inf: the client refuses to wait that long


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date).

    Anything unparseable (``soon``, garbage, a malformed date) counts as absent. A value that
    parses but is absurd (``inf``, a date next year) is returned as is: refusing to wait that
    long is the client's decision (``limits.max_retry_after_s``), and the reason it records
    shows what the server asked for.
    """
    ms = headers.get("retry-after-ms")
    if ms:
        found = _seconds(str(ms), 0.001)
        if found is not None:
            return found
    value = headers.get("Retry-After")
    if not value:
        return None
    found = _seconds(str(value))
    if found is not None:
        return found
    try:
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return max(0.0, parsed.timestamp() - time.time())


MAX_ERROR_BODY = 64 * 1024
"""Bytes of an error response read at most: a hostile server's 100 MB error page costs
nothing more than its first 64 KiB."""


def _error_message(body: bytes, secrets: list[str]) -> str:
    """The server's error message, redacted *before* it is cut short."""
    text: str
    try:
        obj = orjson.loads(body)
        err = obj.get("error", obj) if isinstance(obj, dict) else obj
        text = str(err.get("message") or err) if isinstance(err, dict) else str(err)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace")
    return clean_reason(text, secrets)


async def _read_bounded(resp: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """Read a body up to ``limit`` bytes; the flag says whether there was more."""
    parts: list[bytes] = []
    size = 0
    while True:
        part = await resp.content.read(min(1 << 16, limit + 1 - size))
        if not part:
            return b"".join(parts), False
        parts.append(part)
        size += len(part)
        if size > limit:
            return b"".join(parts)[:limit], True


def _count(value: Any) -> int | None:
    """A usage count if it is a sane integer, else None (strings, floats, negatives, 10**30)."""
    if value.__class__ is int and 0 <= value <= MAX_USAGE_TOKENS:
        return int(value)
    return None


MAX_USAGE_TOKENS = 100_000_000
"""A usage count above this is not believed: no request reads or writes 100M tokens."""


class OpenAIProvider:
    """A client for one model on one OpenAI-compatible endpoint.

    Args:
        cfg: The model's config (URL, model id, key variable, limits).
        base_url: Overrides ``cfg.base_url`` (used for the embedded engine's local server).
        pool_size: Connections kept open; defaults to the model's concurrency limit so that
            the pool never queues requests the limiter has already admitted.
        endpoint: ``"chat"`` (``/chat/completions``, the default) or ``"completions"``
            (``/completions``: the messages' contents are sent as one ``prompt``). Load tools
            such as GuideLLM measure servers through ``/completions``, so ``baimo perf`` can
            be compared with them at the same settings.
        read_bufsize: Size of the response read buffer. Large, so that a burst of SSE
            chunks is read in one call instead of being throttled by a small buffer (a small
            buffer is one of the client bottlenecks MEASURE.md §2 warns about).
    """

    def __init__(self, cfg: ModelConfig, *, base_url: str | None = None,
                 pool_size: int | None = None, endpoint: str = "chat",
                 read_bufsize: int = 1 << 17) -> None:
        if endpoint not in ("chat", "completions"):
            raise ValueError(f"endpoint must be 'chat' or 'completions', not {endpoint!r}")
        self.cfg = cfg
        self.endpoint = endpoint
        root = (base_url or cfg.base_url or "").rstrip("/")
        self.url = root + ("/chat/completions" if endpoint == "chat" else "/completions")
        key = cfg.api_key()
        env_headers = cfg.env_headers()
        self._secrets = ([key] if key else []) + list(env_headers.values())
        self._headers = {"Content-Type": "application/json", **cfg.headers, **env_headers}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        preset = PRESETS.get(cfg.provider)
        self.stream_usage = preset.stream_usage if preset else True
        self._pool = pool_size or cfg.limits.concurrency
        self._read_bufsize = read_bufsize
        self._session: aiohttp.ClientSession | None = None

    @property
    def pool_size(self) -> int:
        """Connections the pool may hold (requests beyond it wait for a free connection)."""
        return self._pool

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout_s = self.cfg.limits.timeout_s
            connector = _stamping_connector(self._pool)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(timeout_s, 30.0),
                                              sock_read=timeout_s),
                read_bufsize=self._read_bufsize,
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _fail(self, kind: Any, message: str, **kw: Any) -> ProviderError:
        return ProviderError(kind, clean_reason(message, self._secrets), **kw)

    def _http_error(self, status: int, body: bytes, headers: Any) -> ProviderError:
        msg = _error_message(body, self._secrets)
        if status == 429:
            return self._fail("rate-limit", msg or "rate limited", status=status,
                              retry_after=parse_retry_after(headers))
        if status in (401, 403):
            return self._fail("auth", f"{msg} (check the key in "
                              f"{self.cfg.api_key_env or 'api_key_env'})", status=status)
        if status == 404:
            return self._fail("not-found", f"{msg} (check the model id '{self.cfg.model_id}' "
                              f"and base_url)", status=status)
        if status >= 500 or status == 408:
            return self._fail("server", msg or "server error", status=status,
                              retry_after=parse_retry_after(headers))
        return self._fail("bad-request", msg or "bad request", status=status)

    def build_body(self, messages: list[dict[str, Any]], params: dict[str, Any]) -> bytes:
        """The exact request body (stored with each result so it can be replayed)."""
        body: dict[str, Any] = {"model": self.cfg.model_id}
        if self.endpoint == "chat":
            body["messages"] = messages
        else:
            body["prompt"] = "\n\n".join(m.get("content", "") for m in messages)
        body.update(params)
        if self.cfg.stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        return orjson.dumps(body)

    async def complete(self, messages: list[dict[str, Any]], params: dict[str, Any], *,
                       timing: Timing | None = None) -> Completion:
        """Send one request and read the whole answer.

        Args:
            messages: Chat messages.
            params: Generation parameters merged into the body (``max_tokens``, ...).
            timing: Where to stamp the times. Pass one to keep the stamps of a request that
                fails (``baimo perf`` reports when failed requests were sent and how far
                they got); by default a fresh one is returned in the ``Completion``.
        """
        data = self.build_body(messages, params)
        session = self._get_session()
        if timing is None:
            timing = Timing()
        bound = _Bound.of(params, self.cfg.max_tokens)
        deadline = self.cfg.limits.deadline
        timing.sent = _perf()
        try:
            async with asyncio.timeout(deadline) as cm:
                try:
                    async with session.post(self.url, data=data, headers=self._headers
                                            ) as resp:
                        timing.first_byte = _perf()
                        proto = _arrivals_of(resp, timing.sent)
                        if proto is not None and proto.arrivals:
                            timing.first_byte = proto.arrivals[0][0]
                        if resp.status != 200:
                            body, _ = await _read_bounded(resp, MAX_ERROR_BODY)
                            raise self._http_error(resp.status, body, resp.headers)
                        if resp.content_type == "text/html":
                            raise self._fail("bad-request", "the server sent a web page "
                                             "(text/html), not an API answer: is "
                                             f"{self.url} the API, or a login page or proxy "
                                             "in front of it? Check base_url.")
                        # A server that ignores stream: true sends the whole answer as JSON;
                        # it is complete (it has its finish_reason), so it is read as such.
                        if self.cfg.stream and resp.content_type != "application/json":
                            return await self._read_stream(resp, timing, messages, bound)
                        return await self._read_json(resp, timing, messages, bound)
                except TimeoutError:
                    if cm.expired():
                        raise
                    raise self._fail("timeout", "no progress for "
                                     f"{self.cfg.limits.timeout_s:g} s") from None
        except ProviderError:
            raise
        except TimeoutError:
            raise self._fail("deadline", f"the answer took longer than the {deadline:g} s "
                             "deadline (limits.deadline_s); the server kept sending, too "
                             "slowly") from None
        except aiohttp.ClientPayloadError as exc:
            raise self._fail("stream", f"response broke off: {exc}") from None
        except aiohttp.ServerDisconnectedError:
            raise self._fail("stream", "server closed the connection mid-response") from None
        except aiohttp.ClientConnectorError as exc:
            raise self._fail("connection", f"cannot connect to {self.url}: {exc.os_error}"
                             ) from None
        except aiohttp.ClientError as exc:
            raise self._fail("connection", f"{type(exc).__name__}: {exc}") from None

    async def loglik(self, prompt: str, continuations: list[str]) -> Completion:
        """Log-likelihood of each continuation after ``prompt``.

        Chat APIs do not offer this; baimo's embedded engine does (``/baimo/loglik``). Other
        endpoints answer 404, reported as a bad request that says to use a generative template.
        """
        root = self.url.rsplit("/chat/completions", 1)[0]
        timing = Timing()
        timing.sent = _perf()
        session = self._get_session()
        try:
            async with session.post(root + "/baimo/loglik", data=orjson.dumps(
                    {"prompt": prompt, "continuations": continuations}),
                    headers=self._headers) as resp:
                body, _ = await _read_bounded(resp, MAX_ERROR_BODY)
                timing.first_byte = timing.first_token = timing.done = _perf()
                if resp.status == 404:
                    raise self._fail("bad-request", f"model '{self.cfg.name}' has no "
                                     "log-likelihood API (only the embedded engine has one); "
                                     "use a generative template such as mcq-gen-zh",
                                     status=404)
                if resp.status != 200:
                    raise self._http_error(resp.status, body, resp.headers)
        except ProviderError:
            raise
        except TimeoutError:
            raise self._fail("timeout", f"no progress for {self.cfg.limits.timeout_s:g} s"
                             ) from None
        except aiohttp.ClientError as exc:
            raise self._fail("connection", f"{type(exc).__name__}: {exc}") from None
        try:
            values = orjson.loads(body)["logprobs"]
            if not isinstance(values, list) or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise self._fail("stream", f"malformed log-likelihood response: {body[:120]!r}"
                             ) from None
        return Completion(text="", reasoning="", finish_reason="loglik",
                          usage=Usage(prompt_tokens=estimate_tokens(prompt), estimated=True),
                          timing=timing, raw={"logprobs": values}, model=self.cfg.model_id)

    async def _read_json(self, resp: aiohttp.ClientResponse, timing: Timing,
                         messages: list[dict[str, Any]], bound: _Bound) -> Completion:
        body, more = await _read_bounded(resp, bound.raw_bytes)
        if more:
            raise self._fail("over-length", f"the response body passed {bound.raw_bytes:,} "
                             f"bytes for max_tokens={bound.max_tokens}; the server ignores "
                             "max_tokens")
        now = _perf()
        try:
            obj = orjson.loads(body)
            choice = obj["choices"][0]
            msg = choice.get("message") or {}
            if not isinstance(msg, dict):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
            raise self._fail("stream", f"malformed response body: {body[:200]!r}") from None
        text = _text_field(msg.get("content") if "content" in msg else choice.get("text"))
        reasoning = _text_field(msg.get("reasoning_content") if msg.get("reasoning_content")
                                is not None else msg.get("reasoning"))
        finish = choice.get("finish_reason")
        if text is None or reasoning is None or not (finish is None or isinstance(finish, str)):
            raise self._fail("stream", "malformed response: 'content', 'reasoning_content' "
                             "and 'finish_reason' must be strings")
        if not finish:
            raise self._fail("stream", "the response has no finish_reason: the answer did "
                             "not end properly, so it is not taken as complete")
        if len(text) > bound.answer_bytes:
            raise self._fail("over-length", f"the answer passed {bound.answer_bytes:,} characters "
                             f"for max_tokens={bound.max_tokens}; the server ignores max_tokens")
        calls: list[dict[str, Any]] = []
        if msg.get("tool_calls"):
            acc: dict[int, dict[str, Any]] = {}
            problem = _merge_tool_calls(acc, msg["tool_calls"], stream=False)
            calls, problem = (_finish_tool_calls(acc) if problem is None else ([], problem))
            if problem is not None:
                raise self._fail("stream", f"malformed tool call: {problem}")
        timing.first_token = timing.first_answer = timing.last_token = timing.done = now
        timing.chunk_times.append(now)
        timing.chunk_texts.append(text)
        timing.chunk_is_answer.append(True)
        usage = self._usage(obj.get("usage"), messages, text, reasoning)
        model = obj.get("model")
        return Completion(text=text, reasoning=reasoning, finish_reason=finish, usage=usage,
                          timing=timing, raw=obj,
                          model=model if isinstance(model, str) else None, tool_calls=calls)

    async def _read_stream(self, resp: aiohttp.ClientResponse, timing: Timing,
                           messages: list[dict[str, Any]], bound: _Bound) -> Completion:
        # The hot loop of both eval and perf. Every SSE line gets the arrival time of the
        # network read that completed it (see the module docstring), never a time taken
        # after parsing. Lookups are hoisted into locals and a plain content delta takes the
        # fewest steps, because at tens of thousands of chunks per second a microsecond per
        # chunk is a visible share of a core (benchmarks/client_capacity.py measures it).
        readany = resp.content.readany
        proto = _arrivals_of(resp, timing.sent)
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        texts: list[str] = []
        reasons: list[str] = []
        finish: str | None = None
        usage_obj: Any = None
        model: str | None = None
        resp_id: str | None = None
        tools: dict[int, dict[str, Any]] | None = None  # tool calls by index, as they arrive
        done = False
        think = 0  # 0 unknown, 1 inside an inline <think> block, 2 answering
        buf = b""
        received = 0  # payload bytes read so far
        answer_bytes = 0  # characters of answer and of reasoning so far, for the bounds
        reasoning_bytes = 0
        raw_limit = bound.raw_bytes
        fail = self._fail
        chunk_times = timing.chunk_times
        chunk_texts = timing.chunk_texts
        chunk_ans = timing.chunk_is_answer
        first_token = timing.first_token
        first_answer = timing.first_answer
        last_token = timing.last_token
        try:
            while not done:
                new = await readany()
                now = _perf()
                if not new:
                    break
                # Arrival stamps: one read (the usual case) stamps every line; several reads
                # (the loop fell behind) are told apart by payload position, per line.
                multi: list[tuple[float, int]] | None = None
                if proto is not None:
                    arr = proto.arrivals
                    if arr:
                        proto.arrivals = []
                        if len(arr) == 1 or arr[0][0] == arr[-1][0]:
                            now = arr[-1][0]
                        else:
                            multi = arr
                pos = received - len(buf)  # payload position of the first byte of ``data``
                received += len(new)
                if received > raw_limit:
                    raise fail("over-length", f"the stream passed {raw_limit:,} bytes for "
                               f"max_tokens={bound.max_tokens}; the server ignores max_tokens")
                data = buf + new if buf else new
                lines = data.split(b"\n")
                buf = lines.pop()
                k = 0
                for line in lines:
                    if multi is not None:
                        pos += len(line) + 1
                        while k < len(multi) - 1 and multi[k][1] < pos:
                            k += 1
                        now = multi[k][0]
                    if not line.startswith(b"data:"):
                        continue
                    if line.endswith(b"[DONE]") and line[5:].strip() == b"[DONE]":
                        done = True  # tested first: a failed parse raises, which costs more
                        break
                    try:
                        obj = loads(line[5:])
                    except decode_error:
                        if line[5:].strip() == b"[DONE]":
                            done = True
                            break
                        raise self._fail("stream", f"malformed SSE data: {line[5:125]!r}"
                                         ) from None
                    if obj.__class__ is not dict:
                        raise fail("stream", f"unexpected SSE data: {line[5:125]!r}")
                    choices = obj.get("choices")
                    if model is None:
                        m = obj.get("model")
                        model = m if m.__class__ is str else None
                        i = obj.get("id")
                        resp_id = i if i.__class__ is str else None
                    if not choices:
                        usage = obj.get("usage")
                        if usage:
                            usage_obj = usage
                        elif "error" in obj:
                            raise fail("server", "error in stream: "
                                       f"{_error_message(line[5:], self._secrets)}")
                        continue
                    # Every field is checked for type before use: one odd chunk from a
                    # hostile or broken server is a classified error, never a crash.
                    if choices.__class__ is not list or choices[0].__class__ is not dict:
                        raise fail("stream", "malformed chunk: 'choices' must be a list of "
                                   f"objects, got {type(choices).__name__}")
                    choice = choices[0]
                    delta = choice.get("delta")
                    if delta is None:  # /completions streams carry "text", not a delta
                        c = choice.get("text")
                    elif delta.__class__ is not dict:
                        raise fail("stream", "malformed chunk: 'delta' must be an object, got "
                                   f"{type(delta).__name__}")
                    else:
                        c = delta.get("content")
                        # A plain content delta ({"content": "…"}) passes both checks below
                        # with one test, as before tool calls were read (the hot path).
                        if c is None or len(delta) > 1:
                            tc = delta.get("tool_calls")
                            if tc:
                                if tools is None:
                                    tools = {}
                                problem = _merge_tool_calls(tools, tc, stream=True)
                                if problem is not None:
                                    raise fail("stream", f"malformed tool call: {problem}")
                                answer_bytes += len(line)
                                if answer_bytes > bound.answer_bytes:
                                    raise fail("over-length", "the tool calls passed "
                                               f"{bound.answer_bytes:,} characters")
                                if first_token is None:
                                    first_token = now
                                last_token = now
                            if "reasoning_content" in delta or "reasoning" in delta:
                                r = delta.get("reasoning_content") or delta.get("reasoning")
                                if r:
                                    if r.__class__ is not str:
                                        raise fail("stream", "malformed chunk: reasoning must be "
                                                   f"a string, got {type(r).__name__}")
                                    reasons.append(r)
                                    reasoning_bytes += len(r)
                                    if reasoning_bytes > bound.reasoning_bytes:
                                        raise fail("over-length", "the reasoning passed "
                                                   f"{bound.reasoning_bytes:,} characters")
                                    if first_token is None:
                                        first_token = now
                                    chunk_times.append(now)
                                    chunk_texts.append(r)
                                    chunk_ans.append(False)
                                    last_token = now
                    if c:
                        if c.__class__ is not str:
                            c = _text_field(c)  # content as a list of parts
                            if c is None:
                                raise fail("stream", "malformed chunk: 'content' must be a "
                                           "string")
                        texts.append(c)
                        answer_bytes += len(c)
                        if answer_bytes > bound.answer_bytes:
                            raise fail("over-length", f"the answer passed "
                                       f"{bound.answer_bytes:,} characters for max_tokens="
                                       f"{bound.max_tokens}; the server ignores max_tokens")
                        chunk_times.append(now)
                        chunk_texts.append(c)
                        last_token = now
                        if think == 2:
                            chunk_ans.append(True)
                            if first_answer is None:
                                first_answer = now
                                if first_token is None:
                                    first_token = now
                        else:
                            if first_token is None:
                                first_token = now
                            is_answer = True
                            if think == 0:
                                think = 1 if c.lstrip().startswith("<think>") else 2
                            if think == 1:
                                tail = "".join(texts[-2:])
                                if "</think>" in tail:
                                    think = 2
                                    is_answer = bool(tail.split("</think>", 1)[1].strip())
                                else:
                                    is_answer = False
                            if is_answer and first_answer is None:
                                first_answer = now
                            chunk_ans.append(is_answer)
                    fr = choice.get("finish_reason")
                    if fr:
                        if fr.__class__ is not str:
                            raise fail("stream", "malformed chunk: 'finish_reason' must be a "
                                       f"string, got {type(fr).__name__}")
                        finish = fr
                    if "usage" in obj:  # some servers put usage on the last content chunk
                        usage = obj["usage"]
                        if usage:
                            usage_obj = usage
        finally:
            # Stamps survive a broken stream: the caller's Timing shows how far it got.
            timing.first_token = first_token
            timing.first_answer = first_answer
            timing.last_token = last_token
        timing.done = _perf()
        if done and not resp.content.is_eof():
            await self._drain(resp)
        if (finish is None and not done and model is None and resp_id is None and not texts
                and not reasons):
            raise fail("stream", f"the response ({received:,} bytes, Content-Type "
                       f"{resp.headers.get('Content-Type') or 'none'}) held no event-stream "
                       "data: check base_url, or set stream: false if the endpoint does not "
                       "stream")
        if finish is None:
            # A server that cuts a stream (llama-cpp-python does when another request
            # waits, unless started with --interrupt_requests False) may still send
            # [DONE]. A cut answer must never be scored or cached as an answer.
            raise fail("stream", "the stream ended without a finish_reason"
                       + (" after [DONE]" if done else " and without [DONE]")
                       + ": the answer was cut off and is not taken as complete")
        calls: list[dict[str, Any]] = []
        if tools:
            calls, problem = _finish_tool_calls(tools)
            if problem is not None:
                raise fail("stream", f"malformed tool call: {problem}")
        text = "".join(texts)
        reasoning = "".join(reasons)
        if think != 0 and text.lstrip().startswith("<think>"):
            head, sep, rest = text.partition("</think>")
            if sep:
                reasoning = (reasoning + head.replace("<think>", "", 1)).strip()
                text = rest.lstrip()
            else:
                reasoning = (reasoning + head.replace("<think>", "", 1)).strip()
                text = ""
        usage = self._usage(usage_obj, messages, text, reasoning)
        raw = {"id": resp_id, "model": model, "object": "chat.completion", "stream": True,
               "choices": [{"index": 0, "finish_reason": finish,
                            "message": {"role": "assistant", "content": "".join(texts),
                                        "reasoning_content": "".join(reasons) or None}}],
               "usage": usage_obj, "chunks": len(chunk_times)}
        if calls:
            raw["choices"][0]["message"]["tool_calls"] = calls
        return Completion(text=text, reasoning=reasoning, finish_reason=finish, usage=usage,
                          timing=timing, raw=raw, model=model, tool_calls=calls)

    @staticmethod
    async def _drain(resp: aiohttp.ClientResponse) -> None:
        """Read the body's end after ``[DONE]`` so the connection goes back to the pool.

        aiohttp closes a connection whose response was not read to its end; every request
        would then pay a new TCP (and TLS) handshake, and the server a new connection.
        The end of the body follows ``[DONE]`` at once; a server that holds the stream open
        instead costs its connection, not the answer.
        """
        try:
            async with asyncio.timeout(1.0):
                while await resp.content.readany():
                    pass
        except (TimeoutError, aiohttp.ClientError):
            pass

    @staticmethod
    def _usage(obj: Any, messages: list[dict[str, Any]], text: str, reasoning: str) -> Usage:
        note = None
        if isinstance(obj, dict) and obj.get("completion_tokens") is not None:
            details = obj.get("prompt_tokens_details")
            cdetails = obj.get("completion_tokens_details")
            prompt = _count(obj.get("prompt_tokens") or 0)
            completion = _count(obj.get("completion_tokens"))
            cached = _count((details.get("cached_tokens") if isinstance(details, dict) else None)
                            or obj.get("prompt_cache_hit_tokens") or 0)
            reasoning_n = _count((cdetails.get("reasoning_tokens")
                                  if isinstance(cdetails, dict) else None) or 0)
            if None not in (prompt, completion, cached, reasoning_n):
                assert prompt is not None and completion is not None
                return Usage(prompt_tokens=prompt, completion_tokens=completion,
                             cached_tokens=min(cached or 0, prompt),
                             reasoning_tokens=reasoning_n or 0)
            note = ("the server's usage counts were not sane integers "
                    f"(0…{MAX_USAGE_TOKENS:,}); counted here instead")
        elif obj is not None and not isinstance(obj, dict):
            note = "the server's usage was not an object; counted here instead"
        prompt_est = sum(estimate_tokens(c) + 4 for m in messages
                         if isinstance(c := m.get("content", ""), str))
        return Usage(prompt_tokens=prompt_est,
                     completion_tokens=estimate_tokens(text) + estimate_tokens(reasoning),
                     reasoning_tokens=estimate_tokens(reasoning), estimated=True, note=note)


def _merge_tool_calls(acc: dict[int, dict[str, Any]], items: Any, *, stream: bool
                      ) -> str | None:
    """Fold tool-call items (a stream's ``delta.tool_calls`` pieces, or a whole message's
    ``tool_calls``) into ``acc`` by index; the problem as text when they are malformed.

    In a stream the first piece of a call carries its ``id`` and name and later pieces append
    to ``function.arguments``; servers that omit ``index`` are followed by position (a piece
    with a new ``id`` opens a new call). Arguments sent as a JSON object (some servers do)
    are kept as their JSON text, so every call reaches the scorer in one shape.
    """
    if items.__class__ is not list:
        return f"'tool_calls' must be a list, got {type(items).__name__}"
    for pos, item in enumerate(items):
        if item.__class__ is not dict:
            return f"a tool call must be an object, got {type(item).__name__}"
        index = item.get("index")
        call_id = item.get("id")
        if index is None:
            if not stream:
                index = pos
            elif not acc or (call_id is not None and call_id != acc[max(acc)].get("id")):
                index = len(acc)
            else:
                index = max(acc)
        elif index.__class__ is not int or not 0 <= index < 1024:
            return f"'index' must be a small non-negative integer, got {index!r:.40}"
        if not (call_id is None or call_id.__class__ is str):
            return f"'id' must be a string, got {type(call_id).__name__}"
        kind = item.get("type")
        if not (kind is None or kind == "function"):
            return f"'type' must be \"function\", got {kind!r:.40}"
        fn = item.get("function")
        if fn is None:
            fn = {}
        elif fn.__class__ is not dict:
            return f"'function' must be an object, got {type(fn).__name__}"
        name = fn.get("name")
        if not (name is None or name.__class__ is str):
            return f"'function.name' must be a string, got {type(name).__name__}"
        args = fn.get("arguments")
        if args.__class__ is dict:
            args = orjson.dumps(args).decode()
        elif not (args is None or args.__class__ is str):
            return f"'function.arguments' must be a string, got {type(args).__name__}"
        slot = acc.get(index)
        if slot is None:
            slot = acc[index] = {"id": None, "name": [], "arguments": []}
        if call_id:
            slot["id"] = call_id
        if name and "".join(slot["name"]) != name:  # some servers repeat the whole name
            slot["name"].append(name)
        if args:
            slot["arguments"].append(args)
    return None


def _finish_tool_calls(acc: dict[int, dict[str, Any]]
                       ) -> tuple[list[dict[str, Any]], str | None]:
    """The merged calls in index order, or the problem when one never got a name."""
    calls = []
    for i, index in enumerate(sorted(acc)):
        slot = acc[index]
        name = "".join(slot["name"])
        if not name:
            return [], f"tool call {index} has no function name"
        calls.append({"id": slot["id"] or f"call_{i}", "type": "function",
                      "function": {"name": name, "arguments": "".join(slot["arguments"])}})
    return calls, None


def _text_field(value: Any) -> str | None:
    """A text field as a string: None → "", a list of text parts joined; else None (invalid)."""
    if value is None:
        return ""
    if value.__class__ is str:
        return str(value)
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                return None
        return "".join(parts)
    return None


@dataclass(frozen=True)
class _Bound:
    """How much answer is believable for a ``max_tokens``.

    A server that ignores ``max_tokens`` (or streams forever) is stopped once the answer is
    far past any tokenisation of that many tokens: 32 bytes per token plus 4 KiB, eight
    times the longest average token of any tokenizer. Reasoning may legitimately run past
    ``max_tokens`` on some vendors, so it has its own, larger bound.
    """

    max_tokens: int
    answer_bytes: int
    reasoning_bytes: int
    raw_bytes: int

    @staticmethod
    def of(params: dict[str, Any], default: int) -> _Bound:
        value = params.get("max_tokens") or params.get("max_completion_tokens") or default
        n = int(value) if isinstance(value, int | float) and value > 0 else default
        answer = 32 * n + 4096
        reasoning = 32 * max(n, 32768) + 4096
        return _Bound(n, answer, reasoning, 4 * (answer + reasoning) + (1 << 20))
