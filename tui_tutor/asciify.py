"""Plain-ASCII versions of the glyphs the UI and the plots draw, for terminals that are not UTF-8.

UI-free (no Textual), so the plot renderers and the terminal driver share one table.
"""

from __future__ import annotations

#: Box drawing, blocks, braille and the few symbols Textual and plotext use, in plain ASCII.
_ASCII_MAP: dict[int, str] = {}
for chars, ascii_char in (
    ("─━┄┅┈┉╌╍═╼╾▔▁⎯", "-"),
    ("│┃┆┇┊┋╎╏║╽╿▏▕", "|"),
    ("┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋╔╗╚╝╠╣╦╩╬╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫╭╮╯╰", "+"),
    ("•●◦∙·⋅○◉", "*"),
    ("▶►▸▹→", ">"),
    ("◀◄◂◃←", "<"),
    ("▲△↑", "^"),
    ("▼▽↓", "v"),
    ("█▉▊▋▌▍▎▐░▒▓▀▄▆▅▃▂▇", "#"),
    ("…", "."),
    ("✓✔", "v"),
    ("✗✘×", "x"),
    ("−", "-"),
    ("“”„", '"'),
    ("‘’", "'"),
    ("\u00a0", " "),
):
    for char in chars:
        _ASCII_MAP[ord(char)] = ascii_char
for code in range(0x2800, 0x2900):  # braille plot markers
    _ASCII_MAP[code] = "." if code != 0x2800 else " "


def to_ascii(text: str) -> str:
    """Map the glyphs a UI uses to ASCII, one character for one; anything else becomes `?`."""
    text = text.translate(_ASCII_MAP)
    if text.isascii():
        return text
    return "".join(ch if ord(ch) < 128 else "?" for ch in text)
