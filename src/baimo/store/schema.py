"""Tables. One row per thing that happened; nothing is ever updated in place except statuses.

- ``runs``/``run_models``: what was asked for and how it ended (per model).
- ``responses``: the cache of model answers, keyed by a hash of everything that determines the
  answer (endpoint identity, rendered messages, generation parameters, task version). A key in
  this table is a question the model has already answered: it is never asked again.
- ``results``: the per-run verdict on each sample (status, score, cost, timings), written the
  moment the sample completes. A failed sample is a row with a reason.
- ``perf_requests``: one row per request of a perf run, with every timestamp.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("command", sa.Text),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("baimo_version", sa.String(32), nullable=False),
)

run_models = sa.Table(
    "run_models", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("model_name", sa.String(200), primary_key=True),
    sa.Column("model_json", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
)

responses = sa.Table(
    "responses", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("model_identity", sa.String(32), nullable=False),
    sa.Column("request_json", sa.Text, nullable=False),
    sa.Column("response_json", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("reasoning", sa.Text, nullable=False),
    sa.Column("finish_reason", sa.String(32)),
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("cached_tokens", sa.Integer, nullable=False),
    sa.Column("reasoning_tokens", sa.Integer, nullable=False),
    sa.Column("usage_estimated", sa.Boolean, nullable=False),
    sa.Column("latency_s", sa.Float, nullable=False),
    sa.Column("ttft_s", sa.Float),
    sa.Column("created_at", sa.Float, nullable=False),
)

results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("task", sa.String(200), nullable=False),
    sa.Column("task_version", sa.String(64), nullable=False),
    sa.Column("sample_id", sa.String(300), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("category", sa.String(200)),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("extracted", sa.Text),
    sa.Column("reason", sa.Text),
    sa.Column("details_json", sa.Text),
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("usage_estimated", sa.Boolean, nullable=False),
    sa.Column("latency_s", sa.Float),
    sa.Column("ttft_s", sa.Float),
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("cached", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("run_id", "model_name", "task", "sample_id", name="uq_result_sample"),
)
sa.Index("ix_results_run", results.c.run_id, results.c.model_name)

perf_requests = sa.Table(
    "perf_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(64), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("phase", sa.String(16), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("error_kind", sa.String(24)),
    sa.Column("reason", sa.Text),
    sa.Column("scheduled", sa.Float, nullable=False),
    sa.Column("sent", sa.Float),
    sa.Column("first_byte", sa.Float),
    sa.Column("first_token", sa.Float),
    sa.Column("first_answer", sa.Float),
    sa.Column("last_token", sa.Float),
    sa.Column("done", sa.Float),
    sa.Column("prompt_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("output_tokens_client", sa.Integer),
    sa.Column("usage_from_server", sa.Boolean),
    sa.Column("chunk_times_json", sa.Text),
    sa.Column("chunk_tokens_json", sa.Text),
    # Added by migration 003_perf_levels:
    sa.Column("finish_reason", sa.String(32)),
    sa.Column("prompt_tokens_client", sa.Integer),
)
sa.Index("ix_perf_run", perf_requests.c.run_id, perf_requests.c.model_name)

# One row per (run, model, load level) of a perf run: the level's summary as computed when it
# ran, including what the rows alone cannot give (the client's own health: event-loop lag and
# CPU, and the verdict on whether the client was the limit).
perf_levels = sa.Table(
    "perf_levels", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("load_kind", sa.String(16), nullable=False),
    sa.Column("load_value", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("client_limited", sa.Boolean, nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False),
)
sa.Index("ix_perf_levels_run", perf_levels.c.run_id, perf_levels.c.model_name)

# One row per LLM-judge verdict on a pair of stored answers (``baimo judge pairwise``). The
# judge's identity and the prompt's id, version and hash are part of the row and of its unique
# key, so a verdict is reused only for the same judge asked with the same words. ``status`` is
# ``ok``, ``judge-parse-error`` (the judge answered outside the strict verdict format: never a
# loss) or ``error`` (the judge was not heard; such rows are asked again on the next run).
judgements = sa.Table(
    "judgements", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("task", sa.String(200), nullable=False),
    sa.Column("sample_id", sa.String(300), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("model_a", sa.String(200), nullable=False),
    sa.Column("model_b", sa.String(200), nullable=False),
    sa.Column("judge_model", sa.String(200), nullable=False),
    sa.Column("judge_identity", sa.String(32), nullable=False),
    sa.Column("prompt_id", sa.String(64), nullable=False),
    sa.Column("prompt_version", sa.String(32), nullable=False),
    sa.Column("prompt_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("winner", sa.String(8)),
    sa.Column("verdict_1", sa.String(8)),
    sa.Column("verdict_2", sa.String(8)),
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("details_json", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("run_id", "task", "sample_id", "mode", "model_a", "model_b",
                        "judge_identity", "prompt_hash", name="uq_judgement"),
)
sa.Index("ix_judgements_run", judgements.c.run_id, judgements.c.model_a, judgements.c.model_b)

# One row per ``baimo score`` result, appended and never updated: the methodology's id and the
# SHA-256 of its text are columns, and ``result_json`` is the self-contained ``ScoreResult``
# (gates, scores, ranks, weights, normalisations, sensitivity), so a published ranking can be
# audited after its inputs changed. ``inputs_json`` names what was scored (facts file,
# measurements file, eval/perf run ids).
score_results = sa.Table(
    "score_results", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("methodology", sa.String(100), nullable=False),
    sa.Column("methodology_sha256", sa.String(64), nullable=False),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("scenario", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("command", sa.Text),
    sa.Column("inputs_json", sa.Text, nullable=False),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("baimo_version", sa.String(32), nullable=False),
)
sa.Index("ix_score_results_methodology", score_results.c.methodology, score_results.c.created_at)

# ``baimo serve`` (migration 006_web): team-mode users, their API tokens (SHA-256 of the token,
# never the token), and the browser's job queue (an eval or perf run started from the web,
# run by a worker subprocess; ``run_id`` links it to the run it created, which stays the
# source of truth for what was measured).
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.UniqueConstraint("name", name="uq_users_name"),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("label", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_used", sa.Float),
    sa.Column("revoked", sa.Boolean, nullable=False),
)
sa.Index("ix_tokens_user", tokens.c.user_id)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
    sa.Column("run_id", sa.String(32)),
    sa.Column("user_name", sa.String(100)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("pid", sa.Integer),
    sa.Column("exit_code", sa.Integer),
    sa.Column("log_tail", sa.Text),
)
sa.Index("ix_jobs_created", jobs.c.created_at)
sa.Index("ix_results_model_task", results.c.model_name, results.c.task)
sa.Index("ix_runs_created", runs.c.created_at)

# The arena (migration 007_arena): a battle is one prompt answered by two anonymous models,
# with both conversations (JSON lists of {role, content}, assistant turns carrying their own
# tokens/timings/cost) and per-side totals; ``origin`` is web, judge or import. A vote is one
# voter's verdict on one battle: ``role`` human or judge, ``status`` ok, judge-parse-error
# (never counted) or error, ``winner`` model_a / model_b / tie / tie (bothbad).
battles = sa.Table(
    "battles", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("prompt_source", sa.String(16), nullable=False),
    sa.Column("suite", sa.String(200)),
    sa.Column("task", sa.String(200)),
    sa.Column("sample_id", sa.String(300)),
    sa.Column("category", sa.String(200)),
    sa.Column("language", sa.String(16)),
    sa.Column("external_id", sa.String(200)),
    sa.Column("created_by", sa.String(200)),
    sa.Column("model_a", sa.String(200), nullable=False),
    sa.Column("model_b", sa.String(200), nullable=False),
    sa.Column("conversation_a_json", sa.Text, nullable=False),
    sa.Column("conversation_b_json", sa.Text, nullable=False),
    sa.Column("turns", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("prompt_tokens_a", sa.Integer, nullable=False),
    sa.Column("completion_tokens_a", sa.Integer, nullable=False),
    sa.Column("latency_s_a", sa.Float),
    sa.Column("ttft_s_a", sa.Float),
    sa.Column("cost_a", sa.Float, nullable=False),
    sa.Column("prompt_tokens_b", sa.Integer, nullable=False),
    sa.Column("completion_tokens_b", sa.Integer, nullable=False),
    sa.Column("latency_s_b", sa.Float),
    sa.Column("ttft_s_b", sa.Float),
    sa.Column("cost_b", sa.Float, nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
)
sa.Index("ix_battles_created", battles.c.created_at)
sa.Index("ix_battles_creator", battles.c.created_by, battles.c.created_at)
sa.Index("ix_battles_external", battles.c.origin, battles.c.external_id)

battle_votes = sa.Table(
    "battle_votes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("battle_id", sa.String(40), sa.ForeignKey("battles.id"), nullable=False),
    sa.Column("voter", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("winner", sa.String(16)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("details_json", sa.Text),
    sa.UniqueConstraint("battle_id", "voter", name="uq_battle_vote"),
)
sa.Index("ix_battle_votes_role", battle_votes.c.role, battle_votes.c.status)

# ``baimo monitor`` (migration 008_monitor). A cycle is one scheduled round of probes of one
# endpoint (``slot`` is its scheduled time; one cycle per endpoint and slot); a probe is one
# request of a cycle (timings, tokens, cost, error kind, and for canaries the answer); a check
# is one fidelity verdict with its evidence; an incident is one threshold crossing, from its
# start to its recovery; a lease says which monitor process runs an endpoint's cycle now.
monitor_cycles = sa.Table(
    "monitor_cycles", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("slot", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("plan_json", sa.Text, nullable=False),
    sa.Column("values_json", sa.Text),
    sa.UniqueConstraint("model_name", "slot", name="uq_monitor_cycle"),
)

monitor_probes = sa.Table(
    "monitor_probes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cycle_id", sa.String(64), sa.ForeignKey("monitor_cycles.id"), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("identity", sa.String(32), nullable=False),
    sa.Column("family", sa.String(200)),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("probe", sa.String(100), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_kind", sa.String(24)),
    sa.Column("reason", sa.Text),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("ttft_s", sa.Float),
    sa.Column("tpot_s", sa.Float),
    sa.Column("e2e_s", sa.Float),
    sa.Column("output_tps", sa.Float),
    sa.Column("prompt_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("prompt_tokens_client", sa.Integer),
    sa.Column("output_tokens_client", sa.Integer),
    sa.Column("usage_from_server", sa.Boolean),
    sa.Column("finish_reason", sa.String(32)),
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.Column("answer", sa.Text),
    sa.Column("correct", sa.Boolean),
    sa.Column("details_json", sa.Text),
    sa.UniqueConstraint("cycle_id", "probe", name="uq_monitor_probe"),
)
sa.Index("ix_monitor_probes_model", monitor_probes.c.model_name, monitor_probes.c.at)

monitor_checks = sa.Table(
    "monitor_checks", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cycle_id", sa.String(64), sa.ForeignKey("monitor_cycles.id"), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("check_name", sa.String(32), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("evidence_json", sa.Text, nullable=False),
    sa.UniqueConstraint("cycle_id", "check_name", name="uq_monitor_check"),
)
sa.Index("ix_monitor_checks_model", monitor_checks.c.model_name, monitor_checks.c.at)

monitor_incidents = sa.Table(
    "monitor_incidents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("metric", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("detected_at", sa.Float, nullable=False),
    sa.Column("resolved_at", sa.Float),
    sa.Column("value", sa.Float),
    sa.Column("threshold_json", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("notified_at", sa.Float),
    sa.Column("recovery_notified_at", sa.Float),
    sa.Column("notify_error", sa.Text),
)
sa.Index("ix_monitor_incidents_model", monitor_incidents.c.model_name,
         monitor_incidents.c.metric, monitor_incidents.c.status)

monitor_leases = sa.Table(
    "monitor_leases", metadata,
    sa.Column("model_name", sa.String(200), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("cycle_id", sa.String(64)),
)

run_leases = sa.Table(
    "run_leases", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)
