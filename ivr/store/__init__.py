"""Storage: the schema, the engine, the one transaction type, queries per aggregate, the spool."""
