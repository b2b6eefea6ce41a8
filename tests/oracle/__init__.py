"""An oracle independent of the code under test (issue 17): what each stream table must hold,
derived from the emulators' truth by the provider documents' field names and value formats.

It shares no code with ``connectors/*/streams.py`` nor with the SQL conversion functions:
the API field of a column is found by the documents' naming rule (``mapping.column_name``) plus
the documented exceptions, and values are converted by the table column's declared type, read
from the database catalog (which the migrations wrote from the documents too).
"""
