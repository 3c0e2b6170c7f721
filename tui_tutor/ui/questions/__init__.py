"""Question widgets: the panel that shows one question and one small answer widget per kind.

Styles: `questions.tcss` next to this file (the app adds it to its CSS_PATH).
"""

from pathlib import Path

from tui_tutor.ui.questions.panel import QuestionPanel, make_answer_widget

CSS_PATH = Path(__file__).with_name("questions.tcss")

__all__ = ["CSS_PATH", "QuestionPanel", "make_answer_widget"]
