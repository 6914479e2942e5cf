"""The GGUF tokenizer perf uses to build exact-length prompts, on the embedded model's file."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

llama_cpp = pytest.importorskip("llama_cpp")

TEXT = "Measure twice, cut once. 百模大战 2026: ¼ → ∞ <|im_start|>"


def test_the_gguf_tokenizer_reads_the_vocabulary_quietly_and_as_the_engine_does() -> None:
    """Loading the vocabulary must print nothing (it printed a context-overflow warning about a
    context it never needed; perf's tokenizer and the planner's prompt counter alike), and
    must count tokens exactly as the engine that serves it."""
    from baimo.models.embedded import find_gguf

    probe = ("import json\n"
             "from baimo.models.embedded import find_gguf\n"
             "from baimo.perf.tokenizer import GGUFTokenizer\n"
             "from baimo.scale.plan import GGUFChatPrompt\n"
             "tok = GGUFTokenizer(find_gguf())\n"
             "GGUFChatPrompt(str(find_gguf())).prompt([{'role': 'user', 'content': 'hi'}])\n"
             f"print(json.dumps([tok.encode({TEXT!r}), len(tok.words())]))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    ids, n_words = json.loads(out.stdout)
    engine = llama_cpp.Llama(model_path=str(find_gguf()), vocab_only=True, verbose=False)
    assert ids == engine.tokenize(TEXT.encode(), add_bos=False, special=False)
    assert len(ids) > 10 and n_words >= 64
