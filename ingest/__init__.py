"""Ingest: feeds, pages and archives -> raw documents in the raw archive (the bronze layer)."""
