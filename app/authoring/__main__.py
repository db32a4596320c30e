"""``python -m app.authoring check FILE...``: check dialogue files without building the app.

``flask --app app dialogue check`` builds the app first, and the app refuses to start on an invalid
dialogue in its own folder; this way the same check runs on a file being edited, with no settings.
"""

from .commands import dialogue

if __name__ == "__main__":
    dialogue(prog_name="python -m app.authoring")
