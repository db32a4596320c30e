"""Tools for the people who write the dialogues: check, outline, draw and try them.

``commands.py`` adds ``flask dialogue check|diagram|outline``; ``routes.py`` is the managers' page
(``/staff/dialogues``) with "Try this dialogue", a preview that saves nothing.
"""
