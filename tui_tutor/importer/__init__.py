"""`tui-tutor import`: Carpentries episodes (Workbench and styles era) -> tutor lessons.

Modules: `styles` (styles-era blockquotes -> fenced divs), `answers` (reading the answer a
solution states), `convert` (an episode -> a lesson and its report lines), `command` (files,
the report). The parser is the lesson loader's own fenced-div reader, tui_tutor.lesson.blocks.
"""
