"""The suite reads fcnet's messages in English whatever the machine's locale (a test that
wants another language says so: --lang, FCNET_LANG or fcnet.i18n.use_language)."""

from __future__ import annotations

import os
import sys

os.environ["FCNET_LANG"] = "en"
sys.path.insert(0, os.path.dirname(__file__))  # tests/testports.py, for every folder
