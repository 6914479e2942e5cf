"""Test doubles for baimo and for projects that build on it.

* ``memory.MemoryProvider``: the ``Provider`` protocol answered in-process from a function or
  a table of canned replies, with configurable finish reasons, usage and failures.
* ``mockserver``: a deterministic OpenAI-compatible HTTP server with known latency and
  injectable faults, in-process (``MockServer``) or as a child process
  (``python -m baimo.testing.mockserver``, ``spawn_mockserver``).
* ``scripted.ScriptedServer``: a loopback OpenAI-compatible chat server whose every answer is
  decided by a test's function of the parsed request (text, reasoning, tool calls, HTTP
  errors, malformed bodies and streams), recording what it was sent.

Product code never imports this package (``tests/test_layers.py`` enforces it): what a test
double knows must not leak into what baimo measures. ``baimo perf calibrate`` runs the mock
server as a separate program instead.
"""
