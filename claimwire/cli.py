def main() -> int:
    from claimwire.ingest import feeds  # noqa: F401
    print("ok")
    return 0
