"""The ``monitor:`` block of the models file (or a monitor file of its own): schedule, probe
sizes, thresholds and where alerts go.

Why here and not in ``baimo.config``: the models file only reserves the key (its schema says
``monitor: dict``); this module owns the schema and validates the block with the lines of the
file, so a mistake reads ``baimo.yaml:41: monitor.thresholds.ttft_s.max: ...``.

Durations are numbers of seconds or strings with a unit: ``90s``, ``15m``, ``3h``, ``1d``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from baimo.config import Config, check_base_url
from baimo.errors import ConfigError
from baimo.yamlio import LocatedYaml, load_yaml, validate

__all__ = ["AlertTarget", "MonitorSettings", "Threshold", "load_settings", "parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|min|h|d)?\s*$")
_SCALE = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any, what: str = "duration") -> float:
    """``"3h"`` → 10800.0; a bare number is seconds. ``ValueError`` says what to write."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a duration such as 90s, 15m, 3h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"{what}: '{value}' is not a duration; write e.g. 90s, 15m, 3h, "
                             "1d (or a number of seconds)")
        seconds = float(m.group(1)) * _SCALE[m.group(2) or "s"]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{what}: must be a positive duration")
    return seconds


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True,
                              allow_inf_nan=False)


class Threshold(_Strict):
    """When a metric is in trouble.

    Attributes:
        min: Alert when the value falls below this (uptime, canary accuracy, checks).
        max: Alert when the value rises above this (TTFT, error rate).
        window: Judge the metric over this trailing window of stored probes (median for
            timings, share for uptime/error rate/accuracy) instead of the cycle's own value.
        consecutive: Cycles in a row that must cross before an incident opens; the incident
            starts at the first of them.
    """

    min: float | None = None
    max: float | None = None
    window: float | None = None
    consecutive: int = Field(1, ge=1, le=1000)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, v: Any) -> float | None:
        return None if v is None else parse_duration(v, "window")

    @model_validator(mode="after")
    def _bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}: every value would "
                             "cross one of them")
        return self

    def crossed(self, value: float) -> bool:
        return (self.max is not None and value > self.max) or (
            self.min is not None and value < self.min)


class AlertTarget(_Strict):
    """Where an incident and its recovery are reported: a webhook or a command.

    ``webhook`` receives a POST with the event as JSON. A URL that carries a token (chat-app
    webhooks do) belongs in an environment variable: give its name as ``webhook_env``.
    ``command`` is run without a shell, with the event as JSON on standard input and as
    ``BAIMO_ALERT_*`` environment variables.
    """

    webhook: str | None = None
    webhook_env: str | None = None
    command: list[str] | None = None
    timeout_s: float = Field(10.0, gt=0, le=300)

    @field_validator("webhook")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else check_base_url(v)

    @field_validator("webhook_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.fullmatch(v):
            shown = "a URL" if "://" in v else f"'{v}'"  # a URL here may carry its token
            raise ValueError(f"is the *name* of the environment variable that holds the "
                             f"webhook URL (letters, digits and _, not starting with a digit), "
                             f"not {shown}: e.g. webhook_env: MONITOR_WEBHOOK_URL, then "
                             "export MONITOR_WEBHOOK_URL=https://...")
        return v

    @model_validator(mode="after")
    def _one(self) -> AlertTarget:
        given = [x for x in (self.webhook, self.webhook_env, self.command) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of webhook, webhook_env or command")
        if self.command is not None and not self.command[0]:
            raise ValueError("command: the first item is the program to run")
        return self


# What a threshold may name, and the values that make sense for it (``cycle_values`` says
# what each metric is): a bound outside them is never crossed, or always.
_SECONDS = ("ttft_s", "tpot_s", "e2e_s")
_RATES = ("output_tps", "parallel_output_tps")
_SHARES = ("uptime", "error_rate", "canary_accuracy", "canary_agreement")
_CHECKS = ("usage", "canary_drift")  # besides fidelity.REQUEST_CHECKS


def _metric_range(metric: str) -> tuple[float, float | None, bool, str] | None:
    """(lowest, highest, lowest allowed?, what the values are) of a metric; None if a
    threshold cannot name it."""
    if metric in _SECONDS:
        return 0.0, None, False, "a time in seconds, more than 0"
    if metric in _RATES:
        return 0.0, None, False, "output tokens per second, more than 0"
    if metric == "usage_ratio":
        return 0.0, None, False, "a ratio of token counts, more than 0"
    if metric in _SHARES:
        return 0.0, 1.0, True, "a share from 0 to 1 (0.99 = 99%)"
    if metric == "probes":
        return 0.0, None, True, "a number of probes, 0 or more"
    if metric.startswith("check:"):
        from baimo.monitor.fidelity import REQUEST_CHECKS

        if metric[6:] in ("*", *REQUEST_CHECKS, *_CHECKS):
            return 0.0, 1.0, True, "1 for a check passed, 0 for failed"
    return None


def _known_metrics() -> str:
    from baimo.monitor.fidelity import REQUEST_CHECKS

    return ", ".join([*_SECONDS, *_RATES, *_SHARES, "usage_ratio", "probes", "check:*",
                      *(f"check:{c}" for c in (*REQUEST_CHECKS, *_CHECKS))])


def _threshold_problems(raw: Any) -> list[InitErrorDetails]:
    """A threshold on a metric that does not exist, or with a bound no value of its metric
    can take, each located at its metric's bound. Read from the file's values before they
    are validated, so these come together with the other mistakes of the same thresholds."""
    problems: list[InitErrorDetails] = []
    if not isinstance(raw, dict):
        return problems

    def refuse(loc: tuple[str, ...], why: str, value: Any) -> None:
        problems.append({"type": PydanticCustomError("monitor_threshold", why),
                         "loc": loc, "input": value})

    for metric, th in raw.items():
        rng = _metric_range(str(metric))
        if rng is None:
            refuse((str(metric),), f"no metric is named '{metric}'; thresholds can name "
                   f"{_known_metrics()}", metric)
            continue
        if not isinstance(th, dict):
            continue
        low, high, low_ok, what = rng
        for bound in ("min", "max"):
            v = th.get(bound)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                continue  # not a number: the Threshold model says so
            if (v < low if low_ok else v <= low) or (high is not None and v > high):
                refuse((str(metric), bound), f"{v:g} is not a value {metric} can take: it "
                       f"is {what}", v)
    return problems


DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    "uptime": Threshold(min=0.95, window=86400.0),
    "canary_accuracy": Threshold(min=0.5),
    "check:*": Threshold(min=1.0),
}
"""Used unless the file names the same metric: an endpoint down more than 5% of a day, a
canary set mostly wrong, or any failed fidelity check."""


MIN_LEASE_S = 10.0
"""The shortest ``lease`` accepted (see ``MonitorSettings._lease``)."""


class MonitorSettings(_Strict):
    """Everything ``baimo monitor`` does, with the defaults of the README's cost table."""

    every: float = 3 * 3600.0
    window: float = 72 * 3600.0
    sizes: tuple[int, ...] = (100, 1000, 10000)
    headline_size: int = 1000
    output_tokens: int = Field(128, ge=2, le=8192)
    parallel: int = Field(10, ge=0, le=256)
    parallel_input_tokens: int = Field(1000, ge=1)
    parallel_every: float = 86400.0
    fidelity_every: float = 86400.0
    canaries: bool = True
    tokenizer: str = "gguf"
    usage_tolerance: float = Field(1.5, ge=1.0)
    """Server usage over the client tokenizer's count may be this far from 1 (either way)
    before the usage check fails: the client's vocabulary is rarely the model's own."""
    agreement_min: float = Field(0.8, ge=0.0, le=1.0)
    lease: float = 900.0
    seed: int = 0
    models: list[str] | None = None
    references: dict[str, str] = Field(default_factory=dict)
    """Family → the model name of its reference deployment (usually the maker's own API)."""
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    alerts: list[AlertTarget] = Field(default_factory=list)

    @field_validator("every", "window", "parallel_every", "fidelity_every", "lease",
                     mode="before")
    @classmethod
    def _durations(cls, v: Any) -> float:
        return parse_duration(v)

    @field_validator("lease")
    @classmethod
    def _lease(cls, v: float) -> float:
        # Why a floor: the heartbeat renews every lease/3 s, so a lease of milliseconds spins
        # the CPU on database writes, and a lease that lapses between two renewals (a slow
        # commit, a paused VM) lets a second monitor take the endpoint and send a probe again.
        if v < MIN_LEASE_S:
            raise ValueError(f"{v:g} s is too short: a lease must be at least "
                             f"{MIN_LEASE_S:g}s (it is renewed every lease/3; 15m is the "
                             "default)")
        return v

    @field_validator("thresholds", mode="wrap")
    @classmethod
    def _thresholds(cls, v: Any, handler: ValidatorFunctionWrapHandler
                    ) -> dict[str, Threshold]:
        problems = _threshold_problems(v)
        try:
            out: dict[str, Threshold] = handler(v)
        except ValidationError as exc:
            # ``handler``'s errors, as the details they were raised from
            problems += cast(list[InitErrorDetails], exc.errors(include_url=False))
        if problems:
            order = {str(k): i for i, k in enumerate(v)} if isinstance(v, dict) else {}
            problems.sort(key=lambda e: order.get(str(e["loc"][0]), len(order)))
            raise ValidationError.from_exception_data("thresholds", problems)
        return out

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(n < 1 for n in v) or len(set(v)) != len(v):
            raise ValueError("sizes: distinct prompt lengths in tokens, each at least 1")
        return v

    @model_validator(mode="after")
    def _headline(self) -> MonitorSettings:
        if self.headline_size not in self.sizes:
            raise ValueError(f"headline_size {self.headline_size} is not one of the sizes "
                             f"{list(self.sizes)}")
        return self

    def all_thresholds(self) -> dict[str, Threshold]:
        """The defaults overlaid with the file's thresholds."""
        return {**DEFAULT_THRESHOLDS, **self.thresholds}

    def threshold_for(self, metric: str) -> Threshold | None:
        found = self.all_thresholds()
        if metric in found:
            return found[metric]
        if metric.startswith("check:"):
            return found.get("check:*")
        return None


def load_settings(models_file: Path | None = None, monitor_file: Path | None = None, *,
                  config: Config | None = None) -> MonitorSettings:
    """The settings from ``monitor_file`` (its top level, or its ``monitor:`` key), else from
    the models file's ``monitor:`` block (``./baimo.yaml`` when none is given), else defaults.

    With ``config`` (the loaded models file), the settings that name its models are checked
    against it too: each of ``references`` must be a configured model of the family it is
    the reference of.
    """
    if monitor_file is not None:
        doc = load_yaml(monitor_file)
        data = doc.data
        if isinstance(data, dict) and "monitor" in data and len(data) == 1:
            return _checked(doc, _validate(doc, data["monitor"], ("monitor",)), ("monitor",),
                            config)
        return _checked(doc, _validate(doc, data, ()), (), config)
    path = models_file
    if path is None and Path("baimo.yaml").exists():
        path = Path("baimo.yaml")
    if path is None:
        return MonitorSettings()
    doc = load_yaml(path)
    if not isinstance(doc.data, dict) or doc.data.get("monitor") is None:
        return MonitorSettings()
    return _checked(doc, _validate(doc, doc.data["monitor"], ("monitor",)), ("monitor",),
                    config)


def _checked(doc: LocatedYaml, settings: MonitorSettings, prefix: tuple[str, ...],
             config: Config | None) -> MonitorSettings:
    """``settings``, once its references name models of ``config`` (when given) of their
    family; else a ``ConfigError`` with a ``file:line: field: problem`` line for each."""
    if config is None:
        return settings
    problems = []
    for family, name in settings.references.items():
        where = (*prefix, "references", family)
        line = doc.line_of(where)
        at = f"{doc.source}:{line}" if line else doc.source
        field = ".".join(where)
        cfg = config.models.get(name)
        if cfg is None:
            problems.append(f"{at}: {field}: no model named '{name}' in the models file; the "
                            f"reference of a family is one of its configured endpoints "
                            f"(configured: {', '.join(config.models)})")
        elif cfg.family != family:
            has = f"its family is '{cfg.family}'" if cfg.family else "it has no family"
            problems.append(f"{at}: {field}: '{name}' cannot be the reference of family "
                            f"'{family}': {has}. Name an endpoint of that family, or set "
                            f"'family: {family}' on '{name}' in the models file")
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _validate(doc: LocatedYaml, data: Any, prefix: tuple[str, ...]) -> MonitorSettings:
    if data is None:
        return MonitorSettings()
    if not isinstance(data, dict):
        line = doc.line_of(prefix) or 1
        raise ConfigError(f"{doc.source}:{line}: the monitor settings must be a mapping "
                          "(every: 3h, thresholds: ..., alerts: ...)")
    return validate(MonitorSettings, doc, data, prefix)
