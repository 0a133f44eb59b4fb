"""Report data model and renderers (no torch imports here)."""

import nndoctor.report.display  # noqa: F401 - registers how a Report displays itself
