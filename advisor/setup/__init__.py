"""Stage 1, the setup: the field table, the forms people type, card and model catalogs, setup files."""
