"""The Textual user interface, on top of the UI-free core."""
