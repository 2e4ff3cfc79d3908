"""Transform: raw documents -> article records (text, metadata, claims), and the derive stage."""
