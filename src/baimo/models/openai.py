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
import selectors
import time
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
    estimate_tokens,
    redact,
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


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def _error_message(body: bytes) -> str:
    try:
        obj = orjson.loads(body)
        if isinstance(obj, dict):
            err = obj.get("error", obj)
            if isinstance(err, dict):
                return str(err.get("message") or err)[:300]
            return str(err)[:300]
    except orjson.JSONDecodeError:
        pass
    return body[:300].decode("utf-8", "replace")


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
        self._secrets = [key] if key else []
        self._headers = {"Content-Type": "application/json", **cfg.headers}
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
        return ProviderError(kind, redact(message, self._secrets), **kw)

    def _http_error(self, status: int, body: bytes, headers: Any) -> ProviderError:
        msg = _error_message(body)
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

    def build_body(self, messages: list[dict[str, str]], params: dict[str, Any]) -> bytes:
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

    async def complete(self, messages: list[dict[str, str]], params: dict[str, Any], *,
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
        timing.sent = _perf()
        try:
            async with session.post(self.url, data=data, headers=self._headers) as resp:
                timing.first_byte = _perf()
                proto = _arrivals_of(resp, timing.sent)
                if proto is not None and proto.arrivals:
                    timing.first_byte = proto.arrivals[0][0]
                if resp.status != 200:
                    raise self._http_error(resp.status, await resp.read(), resp.headers)
                if self.cfg.stream:
                    return await self._read_stream(resp, timing, messages)
                return await self._read_json(resp, timing, messages)
        except ProviderError:
            raise
        except TimeoutError:
            raise self._fail("timeout", f"no progress for {self.cfg.limits.timeout_s:g} s"
                             ) from None
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
                body = await resp.read()
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
        values = orjson.loads(body)["logprobs"]
        return Completion(text="", reasoning="", finish_reason="loglik",
                          usage=Usage(prompt_tokens=estimate_tokens(prompt), estimated=True),
                          timing=timing, raw={"logprobs": values}, model=self.cfg.model_id)

    async def _read_json(self, resp: aiohttp.ClientResponse, timing: Timing,
                         messages: list[dict[str, str]]) -> Completion:
        body = await resp.read()
        now = _perf()
        try:
            obj = orjson.loads(body)
            choice = obj["choices"][0]
            msg = choice.get("message") or {}
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            raise self._fail("stream", f"malformed response body: {body[:200]!r}") from None
        text = msg.get("content") or choice.get("text") or ""
        reasoning = msg.get("reasoning_content") or msg.get("reasoning") or ""
        timing.first_token = timing.first_answer = timing.last_token = timing.done = now
        timing.chunk_times.append(now)
        timing.chunk_texts.append(text)
        timing.chunk_is_answer.append(True)
        usage = self._usage(obj.get("usage"), messages, text, reasoning)
        return Completion(text=text, reasoning=reasoning,
                          finish_reason=choice.get("finish_reason"), usage=usage,
                          timing=timing, raw=obj, model=obj.get("model"))

    async def _read_stream(self, resp: aiohttp.ClientResponse, timing: Timing,
                           messages: list[dict[str, str]]) -> Completion:
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
        done = False
        think = 0  # 0 unknown, 1 inside an inline <think> block, 2 answering
        buf = b""
        received = 0  # payload bytes read so far
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
                    try:
                        obj = loads(line[5:])
                    except decode_error:
                        if line[5:].strip() == b"[DONE]":
                            done = True
                            break
                        raise self._fail("stream", f"malformed SSE data: {line[5:125]!r}"
                                         ) from None
                    if obj.__class__ is not dict:
                        raise self._fail("stream", f"unexpected SSE data: {line[5:125]!r}")
                    choices = obj.get("choices")
                    if model is None:
                        model = obj.get("model")
                        resp_id = obj.get("id")
                    if not choices:
                        usage = obj.get("usage")
                        if usage:
                            usage_obj = usage
                        elif "error" in obj:
                            raise self._fail("server", f"error in stream: "
                                             f"{_error_message(line[5:])}")
                        continue
                    choice = choices[0]
                    delta = choice.get("delta")
                    if delta is None:  # /completions streams carry "text", not a delta
                        c = choice.get("text")
                    else:
                        c = delta.get("content")
                        if (c is None or len(delta) > 1) and ("reasoning_content" in delta
                                                              or "reasoning" in delta):
                            r = delta.get("reasoning_content") or delta.get("reasoning")
                            if r:
                                reasons.append(r)
                                if first_token is None:
                                    first_token = now
                                chunk_times.append(now)
                                chunk_texts.append(r)
                                chunk_ans.append(False)
                                last_token = now
                    if c:
                        texts.append(c)
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
        if not done and finish is None:
            raise self._fail("stream", "stream ended before [DONE] and without a finish_reason")
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
        return Completion(text=text, reasoning=reasoning, finish_reason=finish, usage=usage,
                          timing=timing, raw=raw, model=model)

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
    def _usage(obj: Any, messages: list[dict[str, str]], text: str, reasoning: str) -> Usage:
        if isinstance(obj, dict) and obj.get("completion_tokens") is not None:
            details = obj.get("prompt_tokens_details") or {}
            cdetails = obj.get("completion_tokens_details") or {}
            return Usage(
                prompt_tokens=int(obj.get("prompt_tokens") or 0),
                completion_tokens=int(obj.get("completion_tokens") or 0),
                cached_tokens=int(details.get("cached_tokens") or
                                  obj.get("prompt_cache_hit_tokens") or 0),
                reasoning_tokens=int(cdetails.get("reasoning_tokens") or 0),
            )
        prompt = sum(estimate_tokens(m.get("content", "")) + 4 for m in messages)
        return Usage(prompt_tokens=prompt,
                     completion_tokens=estimate_tokens(text) + estimate_tokens(reasoning),
                     reasoning_tokens=estimate_tokens(reasoning), estimated=True)


async def check_model(cfg: ModelConfig, base_url: str | None = None) -> dict[str, Any]:
    """One tiny real request: reachability, streaming, ``usage`` support and latency."""
    out: dict[str, Any] = {"model": cfg.name, "ok": False}
    try:
        provider = OpenAIProvider(cfg, base_url=base_url, pool_size=1)
    except Exception as exc:  # a missing key is reported, not raised
        out["error"] = str(exc)
        return out
    try:
        start = _perf()
        comp = await asyncio.wait_for(
            provider.complete([{"role": "user", "content": "Reply with the word: pong"}],
                              {"max_tokens": 8, "temperature": 0}),
            timeout=cfg.limits.timeout_s)
        out.update(ok=True, latency_s=round(_perf() - start, 3),
                   ttft_s=None if comp.timing.first_token is None
                   else round(comp.timing.first_token - comp.timing.sent, 3),
                   streaming=cfg.stream and len(comp.timing.chunk_times) > 0,
                   usage_returned=not comp.usage.estimated, reply=comp.text[:40],
                   server_model=comp.model)
    except ProviderError as exc:
        out["error"] = exc.reason()
    except TimeoutError:
        out["error"] = f"timeout after {cfg.limits.timeout_s:g} s"
    finally:
        await provider.aclose()
    return out
