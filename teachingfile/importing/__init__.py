"""Import of existing case write-ups (Markdown or plain text) into draft cases."""

from teachingfile.importing.reading import ImportRejected

__all__ = ["ImportRejected"]
