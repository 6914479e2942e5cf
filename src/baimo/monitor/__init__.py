"""``baimo monitor``: stability over time, and the same model compared across vendors.

One perf run measures an endpoint once; users choosing a vendor also ask how steady it is,
how often it fails, and whether it still serves the model it claims. The monitor probes every
configured endpoint on a schedule (``scheduler``), stores every probe (``baimo.store.monitor``),
computes stability metrics from them (``stability``), checks fidelity daily (``fidelity``),
raises and clears alerts (``alerts``), and compares the vendors of one model family
(``scorecard``). ``settings`` owns the ``monitor:`` block of the models file.
"""

from baimo.monitor.settings import AlertTarget, MonitorSettings, Threshold, load_settings

__all__ = ["AlertTarget", "MonitorSettings", "Threshold", "load_settings"]
