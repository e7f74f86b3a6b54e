"""The suite reads fcnet's messages in English whatever the machine's locale (a test that
wants another language says so: --lang, FCNET_LANG or fcnet.i18n.use_language)."""

from __future__ import annotations

import os

os.environ["FCNET_LANG"] = "en"
