"""Line mode: the tutor as plain lines of text, for screen readers, TERM=dumb, Emacs shells and
pipes. One step at a time, answers by prompt, word commands; no colour, no box drawing,
nothing redrawn. UI-free: built on the same core as the full-screen app (see `app`)."""
