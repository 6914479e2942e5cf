"""The Chinese LLM landscape: a sourced catalog of models and vendors, and the 2024 census.

Use ``load_catalog()`` for the records (built-in data merged with the user's own file),
``load_census()``/``census_report()`` for the market-wide counts, and ``link_measured()`` to
attach catalog facts (vendor, filing, licence) to models baimo has measured.
"""

from baimo.landscape.catalog import (
    COMMON_KNOWLEDGE,
    Catalog,
    CatalogRecord,
    CatalogStats,
    Census,
    CensusReport,
    Evaluation,
    EvaluationSystem,
    Price,
    Provenance,
    RecordUpdate,
    add_record,
    catalog_stats,
    census_report,
    link_measured,
    load_catalog,
    load_census,
    make_id,
    slugify,
    update_record,
    user_catalog_path,
)

__all__ = [
    "COMMON_KNOWLEDGE",
    "Catalog",
    "CatalogRecord",
    "CatalogStats",
    "Census",
    "CensusReport",
    "Evaluation",
    "EvaluationSystem",
    "Price",
    "Provenance",
    "RecordUpdate",
    "add_record",
    "catalog_stats",
    "census_report",
    "link_measured",
    "load_catalog",
    "load_census",
    "make_id",
    "slugify",
    "update_record",
    "user_catalog_path",
]
