"""Writes of the traceability app, one module per record family (STYLE.md "Where code goes")."""
