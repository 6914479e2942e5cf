"""Built-in bilingual (zh/en) suites written for baimo: instruction following, safety, reasoning."""
