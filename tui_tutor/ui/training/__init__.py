"""The live training view (Textual); the training itself lives in `tui_tutor.training`."""
