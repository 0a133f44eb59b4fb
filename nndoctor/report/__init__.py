"""Report data model and renderers (no torch imports here)."""
