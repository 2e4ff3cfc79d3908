"""claimwire: news feeds to attributed claim records in DuckDB."""

__version__ = "0.1.0"
