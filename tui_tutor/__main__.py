"""`python -m tui_tutor` runs the same command line as the `tui-tutor` script."""

from tui_tutor.cli import main

raise SystemExit(main())
