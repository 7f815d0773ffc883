"""Importing items from an Excel sheet: paper items and another system's export (issue 15)."""
