"""Data: public and simulated sources, user imports, validation, the build and its store."""
