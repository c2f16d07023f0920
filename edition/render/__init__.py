"""Rendering TEI to HTML: rules per TEI element (``html.py``) and the Jinja environment (``templates.py``)."""
