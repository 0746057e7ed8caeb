"""Text helpers shared by every app that stores reviewed words."""


def normalise_newlines(value: str | None) -> str:
    """One form of line break (LF) for stored text.

    Browsers submit CRLF and APIs LF; a verbatim reuse of an approved text is recognised by its
    hash, so the same words must always be stored the same way, whichever way they came in.
    """
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")
