"""The report's sections, one module each, in the order of the report's outline.

Every module has ``build(source) -> Section | None``: None when its data does not exist.
"""
