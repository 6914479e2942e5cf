"""Built-in endpoint presets, so that ``provider: deepseek`` is all a models file needs.

Each preset is the vendor's OpenAI-compatible base URL, the environment variable its users
conventionally keep the key in, and a sensible default model id. The values are public facts
from each vendor's API documentation; a models file can override any of them.

Self-hosted engines also record which output-length controls they honour (``ignore_eos``,
``min_tokens``): ``baimo perf`` sends only those, since an unknown parameter is a 400 on
several APIs, and its notes must say what the server really does with them. These were
checked against the servers themselves, not taken from their parameter lists: llama-cpp-python's
server accepts ``ignore_eos`` without a word and ignores it, and honours ``min_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """Defaults for one OpenAI-compatible endpoint family.

    Attributes:
        name: The ``provider:`` value that selects it.
        vendor: Who runs it, for people reading ``models list``.
        base_url: OpenAI-compatible base URL (ending before ``/chat/completions``).
        api_key_env: Environment variable holding the key; None for keyless local servers.
        default_model: Model id used when the models file gives none.
        stream_usage: Whether the server honours ``stream_options.include_usage``.
        local: True for self-hosted engines (no key, no price by default).
        ignore_eos: The server honours ``ignore_eos: true`` (generates to ``max_tokens``).
        min_tokens: The server honours ``min_tokens`` (no end of sequence before it).
        length_note: What the server does with those two, for ``baimo perf``'s notes, when
            "accepts ignore_eos and min_tokens" would not say it right.
    """

    name: str
    vendor: str
    base_url: str
    api_key_env: str | None
    default_model: str
    stream_usage: bool = True
    local: bool = False
    ignore_eos: bool = False
    min_tokens: bool = False
    length_note: str | None = None


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("deepseek", "DeepSeek 深度求索", "https://api.deepseek.com/v1",
               "DEEPSEEK_API_KEY", "deepseek-chat"),
        Preset("qwen", "Alibaba Cloud 阿里云 (DashScope compatible mode)",
               "https://dashscope.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY",
               "qwen-plus"),
        Preset("zhipu", "Zhipu AI 智谱 (GLM)", "https://open.bigmodel.cn/api/paas/v4",
               "ZHIPUAI_API_KEY", "glm-4-plus"),
        Preset("moonshot", "Moonshot AI 月之暗面 (Kimi)", "https://api.moonshot.cn/v1",
               "MOONSHOT_API_KEY", "moonshot-v1-8k"),
        Preset("qianfan", "Baidu 百度智能云千帆 (ERNIE)", "https://qianfan.baidubce.com/v2",
               "QIANFAN_API_KEY", "ernie-4.0-8k"),
        Preset("doubao", "ByteDance 火山方舟 (Doubao)", "https://ark.cn-beijing.volces.com/api/v3",
               "ARK_API_KEY", "doubao-pro-32k"),
        Preset("hunyuan", "Tencent 腾讯混元", "https://api.hunyuan.cloud.tencent.com/v1",
               "HUNYUAN_API_KEY", "hunyuan-turbo"),
        Preset("spark", "iFlytek 讯飞星火", "https://spark-api-open.xf-yun.com/v1",
               "SPARK_API_PASSWORD", "generalv3.5", stream_usage=False),
        Preset("baichuan", "Baichuan 百川智能", "https://api.baichuan-ai.com/v1",
               "BAICHUAN_API_KEY", "Baichuan4"),
        Preset("minimax", "MiniMax 稀宇科技", "https://api.minimax.chat/v1",
               "MINIMAX_API_KEY", "MiniMax-Text-01"),
        Preset("yi", "01.AI 零一万物 (Yi)", "https://api.lingyiwanwu.com/v1",
               "YI_API_KEY", "yi-lightning"),
        Preset("stepfun", "StepFun 阶跃星辰", "https://api.stepfun.com/v1",
               "STEPFUN_API_KEY", "step-1-8k"),
        Preset("siliconflow", "SiliconFlow 硅基流动", "https://api.siliconflow.cn/v1",
               "SILICONFLOW_API_KEY", "Qwen/Qwen2.5-7B-Instruct"),
        Preset("openai", "OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY",
               "gpt-4o-mini"),
        Preset("vllm", "vLLM server (self-hosted)", "http://127.0.0.1:8000/v1", None,
               "default", local=True, ignore_eos=True, min_tokens=True),
        Preset("sglang", "SGLang server (self-hosted)", "http://127.0.0.1:30000/v1", None,
               "default", local=True, ignore_eos=True, min_tokens=True),
        Preset("ollama", "Ollama (self-hosted)", "http://127.0.0.1:11434/v1", None,
               "llama3.2", stream_usage=True, local=True),
        # Two servers answer to this name: llama.cpp's own ``llama-server`` (port 8080) honours
        # ignore_eos; llama-cpp-python's ``python -m llama_cpp.server`` ignores it and honours
        # min_tokens. Both skip body fields they do not use, so both parameters are sent.
        Preset("llamacpp-server", "llama.cpp server (self-hosted)", "http://127.0.0.1:8080/v1",
               None, "default", stream_usage=False, local=True, ignore_eos=True,
               min_tokens=True,
               length_note="min_tokens fixes the length on llama-cpp-python's server (which "
               "ignores ignore_eos); ignore_eos is sent too, for llama.cpp's llama-server"),
        Preset("openai-compatible", "Any OpenAI-compatible endpoint", "", None, ""),
    )
}
"""Presets by name. ``embedded`` (the built-in llama.cpp engine) is not listed: it has no URL."""
