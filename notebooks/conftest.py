"""nbmake runs every notebook at its default (smoke) parameters; their runs and outputs go to a
temporary folder, never into the repository's results/."""

import os
import tempfile

_tmp = tempfile.mkdtemp(prefix="reidlab-nbmake-")
os.environ.setdefault("REIDLAB_STORE", os.path.join(_tmp, "store"))
os.environ.setdefault("REIDLAB_BOOK_OUT", os.path.join(_tmp, "book"))
