"""The derive stage: what the warehouse learns from its articles as a whole.

After the loader has inserted a batch (and queued its articles in
`derive_queue`), the derive step places each queued article among what is
stored, in this order, each step reading the one before:

1. `near_duplicates`: MinHash/LSH copies (syndicated or lightly edited);
   copies lose their claims.
2. `stories`: articles about the same event, grouped.
3. `clusters`: claims stating the same proposition, grouped.
4. `speakers`: one identity per source across the warehouse.
5. `search`: the full-text index over originals.

Each module holds its rule and the SQL that applies it. `runner` works the
queue off in chunks, one transaction each; `minhash` and `terms` are the
fingerprints and word stems the rules compare.
"""
