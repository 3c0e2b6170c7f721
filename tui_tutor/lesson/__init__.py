"""The lesson model and its loader: UI-free, importable without a terminal."""
