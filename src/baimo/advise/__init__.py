"""Scenario advice: which measured model suits an application type, and why.

The four built-in scenarios are QbitAI's application types (高可靠+高复杂 …) with their
priority orders turned into rank-order centroid weights; users can write their own profiles.
"""

from baimo.advise.advisor import (
    CRITERIA,
    Advice,
    Constraints,
    CriteriaSpec,
    ExcludedModel,
    MissingModel,
    ModelMeasurements,
    ParetoPoint,
    Profile,
    RankedModel,
    Violation,
    advise,
    builtin_scenarios,
    format_measurements,
    get_scenario,
    load_profile,
    pareto_frontier,
    roc_weights,
)

__all__ = [
    "CRITERIA",
    "Advice",
    "Constraints",
    "CriteriaSpec",
    "ExcludedModel",
    "MissingModel",
    "ModelMeasurements",
    "ParetoPoint",
    "Profile",
    "RankedModel",
    "Violation",
    "advise",
    "builtin_scenarios",
    "format_measurements",
    "get_scenario",
    "load_profile",
    "pareto_frontier",
    "roc_weights",
]
