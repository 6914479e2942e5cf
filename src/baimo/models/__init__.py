"""Models: the wire format (``openai``), vendor presets, and the embedded llama.cpp engine.

``open_provider`` is the one way the rest of baimo gets a client for a configured model. The
embedded engine is served on a loopback port and reached through the same OpenAI-compatible
client as any remote API, so local and remote answers travel the same code path.
"""
