"""The compiled read path: a read operation turned into one SQL statement per root field.

`declare` holds which fields may be compiled (each domain declares its own, next to its
types), `planner` turns a validated document into a small plan for the caller's scope kind,
`sql` renders a plan into one statement whose single column is the JSON of the field, and
`path` runs it, falling back to ordinary execution on anything it cannot answer exactly as
ordinary execution would.
"""
