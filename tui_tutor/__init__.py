"""tui-tutor: a keyboard-driven terminal tutor for the fundamentals of deep learning."""

__version__ = "0.1.0"
