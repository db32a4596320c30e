"""The organisation's perspective: the national return (SAC SG4a/SG3a), reports for managers, the
case-file audit and supervision. Services: plain arguments in, plain data out; ``ReportError`` for
what cannot be answered (an unknown team or period), with a calm message."""


class ReportError(ValueError):
    """A report cannot be made as asked; the message says why."""
