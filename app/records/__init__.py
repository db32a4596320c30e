"""Records a council governs: retention and erasure (``retention``, ``erasure``), subject access
(``subject_access``), key rotation (``keys``) and backups (``backup``). Services: plain arguments in,
results out, ``RecordsError`` for what cannot be done; the wire (staff pages, commands) sits above."""


class RecordsError(Exception):
    """What was asked cannot be done (a legal hold, a missing reason); the message says why, calmly."""
