"""Client-side tokenizers: exact prompt lengths, and token counts the server did not give.

Why a client tokenizer at all: servers differ in whether they report ``usage`` while
streaming (llama.cpp does not), and a chunk is not a token. MEASURE.md §2 asks for counts
from the server *and* from a client tokenizer, with the mismatch reported. The only
vocabulary available offline is the embedded model's GGUF, so that is the default; for
another model its counts are an approximation, and the report names the tokenizer used.

Kinds (``load_tokenizer`` spec):

* ``gguf`` / ``gguf:PATH``: a GGUF file's vocabulary through llama.cpp (``vocab_only``:
  no weights are loaded, it takes a fraction of a second).
* ``hf:DIR``: a Hugging Face tokenizer folder, if ``transformers`` is installed (optional).
* ``words``: the mock server's whitespace word pieces; exact against the mock server.
* ``none``: no client counts (prompts are then made of words and lengths are approximate).

Synthetic prompts of exact length are built from *additive words*: space-prefixed words that
are single tokens and that tokenize to the same ids when concatenated, so a text of ``n`` of
them has exactly ``n`` tokens. The list is verified against the tokenizer, not assumed.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from baimo.errors import BaimoError, ConfigError, MissingDependency

__all__ = [
    "GGUFTokenizer",
    "HFTokenizer",
    "Tokenizer",
    "WordTokenizer",
    "align_chunks",
    "load_tokenizer",
    "word_pieces",
]

_MAX_WORDS = 4096
_WORD_RE = re.compile(r"\s*\S+")


def word_pieces(text: str) -> list[str]:
    """Split text into whitespace-preserving word tokens; ``"".join(word_pieces(t)) == t``.

    Why words: a tokenization any client can reproduce without a model vocabulary, and that
    keeps text intact when tokens are concatenated. It is the ``words`` tokenizer below and
    the tokenization of the test server (``baimo.testing.mockserver``), which imports it from
    here so the two can never disagree.
    """
    tokens: list[str] = _WORD_RE.findall(text)
    consumed = sum(map(len, tokens))
    if consumed < len(text):  # trailing whitespace belongs to the last token
        if tokens:
            tokens[-1] += text[consumed:]
        else:
            tokens.append(text)
    return tokens


class Tokenizer(Protocol):
    """What the perf layer needs from a tokenizer."""

    name: str

    def count(self, text: str) -> int:
        """Tokens in ``text`` without BOS or any special token (MEASURE.md: never count BOS)."""
        ...

    def chunk_counts(self, chunks: Sequence[str]) -> list[int] | None:
        """Tokens per chunk, by aligning the whole text's tokens to the chunk boundaries.

        Tokenizing each chunk alone would be wrong (merges cross chunk boundaries) and slow;
        a token belongs to the chunk in which its last byte arrived. None when the pieces
        cannot be aligned.
        """
        ...

    def words(self) -> list[str]:
        """Additive words (see the module docstring) for building exact-length prompts."""
        ...


def align_chunks(chunks: Sequence[str], piece_lengths: Sequence[int],
                 unit: Callable[[str], int]) -> list[int] | None:
    """Attribute tokens to chunks given each token's length in ``unit`` (bytes or chars).

    Returns None when the pieces do not add up to the text (some tokenizers normalise), in
    which case per-chunk counts are not reported rather than guessed.
    """
    bounds: list[int] = []
    total = 0
    for c in chunks:
        total += unit(c)
        bounds.append(total)
    if sum(piece_lengths) != total:
        return None
    counts = [0] * len(chunks)
    pos = 0
    k = 0
    for length in piece_lengths:
        pos += length
        while k < len(bounds) - 1 and bounds[k] < pos:
            k += 1
        counts[k] += 1
    return counts


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _verify_additive(candidates: list[tuple[str, list[int]]],
                     encode: Callable[[str], list[int]], limit: int) -> list[str]:
    """Keep the candidates whose concatenation tokenizes to the concatenation of their ids.

    Verified in batches (one tokenizer call per batch); a failing batch is retried word by
    word, keeping the words that are single tokens on their own and dropping the rest.
    """
    out: list[str] = []
    batch = 256
    for i in range(0, len(candidates), batch):
        part = candidates[i:i + batch]
        ids = [t for _, ids_ in part for t in ids_]
        if encode("".join(w for w, _ in part)) == ids:
            out.extend(w for w, _ in part)
        else:
            good = [(w, ids_) for w, ids_ in part if encode(w) == ids_]
            if good and encode("".join(w for w, _ in good)) == [t for _, x in good for t in x]:
                out.extend(w for w, _ in good)
        if len(out) >= limit:
            break
    return out[:limit]


class WordTokenizer:
    """The mock server's tokenization: whitespace-preserving words (exact against it)."""

    name = "words (mock server tokenization)"

    _WORDS = (" alpha", " bravo", " charlie", " delta", " echo", " foxtrot", " golf",
              " hotel", " india", " juliet", " kilo", " lima", " mike", " november",
              " oscar", " papa", " quebec", " romeo", " sierra", " tango", " uniform",
              " victor", " whiskey", " xray", " yankee", " zulu")

    def count(self, text: str) -> int:
        return len(word_pieces(text)) if text.strip() else 0

    def chunk_counts(self, chunks: Sequence[str]) -> list[int] | None:
        pieces = word_pieces("".join(chunks))
        return align_chunks(chunks, [len(p) for p in pieces], len)

    def words(self) -> list[str]:
        # Two-letter suffixes make 26 * 26 * 26 distinct words: plenty for unique prompts.
        return [w + a + b for w in self._WORDS for a in "abcdefghijklmnopqrstuvwxyz"
                for b in "aeiou"]


def gguf_vocabulary(llama_cpp: Any, path: Path | str) -> Any:
    """A GGUF file's vocabulary (and metadata) through llama.cpp, without its weights.

    Through llama.cpp's model wrapper rather than ``Llama``: ``Llama`` also opens a context,
    and a vocab-only model has no training context length, so llama.cpp printed "n_ctx_seq
    (512) > n_ctx_train (0) -- possible training context overflow" on every start, a warning
    about nothing. Quiet: llama.cpp logs the whole vocabulary header on stderr otherwise.
    The one way baimo opens a vocabulary (perf's tokenizer, the planner's prompt counts).
    """
    importlib.import_module("llama_cpp._logger").set_verbose(False)
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    return importlib.import_module("llama_cpp._internals").LlamaModel(
        path_model=str(path), params=params, verbose=False)


class GGUFTokenizer:
    """A GGUF file's vocabulary through llama.cpp, loaded without weights.

    Args:
        path: The GGUF file.
    """

    def __init__(self, path: Path) -> None:
        try:
            llama_cpp = importlib.import_module("llama_cpp")
        except ImportError:
            raise MissingDependency("llama-cpp-python", "local", "the GGUF tokenizer"
                                    ) from None
        self.path = path
        self.name = f"gguf:{path.name}"
        self._llm: Any = gguf_vocabulary(llama_cpp, path)
        self._pieces: dict[int, int] = {}
        self._words: list[str] | None = None

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, no BOS, special-token text treated as plain text."""
        if not text:
            return []
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def _piece_len(self, tok: int) -> int:
        n = self._pieces.get(tok)
        if n is None:
            n = len(self._llm.detokenize([tok]))
            self._pieces[tok] = n
        return n

    def chunk_counts(self, chunks: Sequence[str]) -> list[int] | None:
        ids = self.encode("".join(chunks))
        return align_chunks(chunks, [self._piece_len(t) for t in ids], _utf8_len)

    def words(self) -> list[str]:
        if self._words is None:
            self._words = self._find_words()
        return self._words

    def _find_words(self) -> list[str]:
        llm = self._llm
        candidates: list[tuple[str, list[int]]] = []
        n_vocab = int(llm.n_vocab())
        for tok in range(n_vocab):
            raw = llm.detokenize([tok])
            if len(raw) < 4 or raw[:1] != b" ":
                continue
            body = raw[1:]
            if not (body.isalpha() and body.islower() and body.isascii()):
                continue
            candidates.append((raw.decode("ascii"), [tok]))
            if len(candidates) >= _MAX_WORDS * 2:
                break
        words = _verify_additive(candidates, self.encode, _MAX_WORDS)
        if len(words) < 64:
            raise BaimoError(f"the tokenizer {self.name} has too few single-token words to "
                             "build exact-length prompts; pass --tokenizer words or hf:DIR")
        return words


class HFTokenizer:
    """A Hugging Face tokenizer folder (needs ``transformers``; optional).

    Args:
        path: A folder written by ``save_pretrained`` (ENVIRONMENT.md shows how to extract
            one from a GGUF file).
    """

    def __init__(self, path: Path) -> None:
        try:
            transformers = importlib.import_module("transformers")
        except ImportError:
            raise MissingDependency("transformers", "hub", "hf: tokenizers") from None
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.name = f"hf:{path.name}"
        self._tok: Any = transformers.AutoTokenizer.from_pretrained(str(path))
        self._words: list[str] | None = None

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False)) if text else []

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def chunk_counts(self, chunks: Sequence[str]) -> list[int] | None:
        text = "".join(chunks)
        try:
            enc = self._tok(text, add_special_tokens=False, return_offsets_mapping=True)
        except NotImplementedError:  # slow tokenizers have no offsets
            return None
        ends = [int(e) for _, e in enc["offset_mapping"]]
        lengths = [b - a for a, b in zip([0, *ends[:-1]], ends, strict=True)]
        if ends and ends[-1] < len(text):  # trailing characters no token covers
            lengths[-1] += len(text) - ends[-1]
        return align_chunks(chunks, lengths, len)

    def words(self) -> list[str]:
        if self._words is None:
            vocab: dict[str, int] = self._tok.get_vocab()
            candidates: list[tuple[str, list[int]]] = []
            for piece, tok in sorted(vocab.items(), key=lambda kv: kv[1]):
                if piece[:1] not in ("Ġ", "▁"):
                    continue
                body = piece[1:]
                if len(body) >= 3 and body.isascii() and body.isalpha() and body.islower():
                    candidates.append((" " + body, [tok]))
                if len(candidates) >= _MAX_WORDS * 2:
                    break
            self._words = _verify_additive(candidates, self.encode, _MAX_WORDS)
        return self._words


@functools.lru_cache(maxsize=8)
def _gguf(path: str) -> GGUFTokenizer:
    return GGUFTokenizer(Path(path))


# Free cached vocabularies while llama_cpp is still importable: left to interpreter teardown,
# llama.cpp's finaliser runs after its module globals are gone and prints a TypeError.
atexit.register(_gguf.cache_clear)


def load_tokenizer(spec: str | None, gguf_path: str | None = None) -> Tokenizer | None:
    """A tokenizer from its spec (see the module docstring); None for ``none``.

    Args:
        spec: ``gguf``, ``gguf:PATH``, ``hf:DIR``, ``words`` or ``none``; None means
            ``gguf`` (the embedded model's vocabulary, or ``gguf_path``'s).
        gguf_path: The GGUF to use for a bare ``gguf`` (a model's ``gguf_path``).
    """
    spec = (spec or "gguf").strip()
    if spec == "none":
        return None
    if spec == "words":
        return WordTokenizer()
    if spec == "gguf" or spec.startswith("gguf:"):
        from baimo.models.embedded import find_gguf

        path = spec[5:] or gguf_path
        return _gguf(str(find_gguf(path)))
    if spec.startswith("hf:"):
        return HFTokenizer(Path(spec[3:]))
    if spec.endswith(".gguf"):
        return _gguf(spec)
    raise ConfigError(f"unknown tokenizer '{spec}'; use gguf, gguf:PATH, hf:DIR, words or none")
