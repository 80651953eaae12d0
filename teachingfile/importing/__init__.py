"""Import of existing cases into drafts: write-ups (Markdown, text, Word, PDF, HTML), MIRC
teaching files and question banks (Moodle XML, GIFT), and export of question banks."""

from teachingfile.importing.decoding import ImportRejected

__all__ = ["ImportRejected"]
