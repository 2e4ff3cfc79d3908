"""Warehouse: the DuckDB schema, its migrations, the loader, views and queries."""
