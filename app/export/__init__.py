"""CSV export and its way back: households.csv + members.csv + manifest.json.

The layout is derived from the questionnaire (layout.py, the cells of each answer in cells.py);
files.py writes it streaming, with a hash of each file in the manifest; reader.py reads a pair
back into records. The laptop (app/export/laptop.py) and the province (sync/server/export.py,
its worker processes and its ZIP download) use the same writer. Format: docs/export.md.
"""
