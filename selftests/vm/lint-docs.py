#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# lint-docs.py FILE...: every reStructuredText file must parse without a
# docutils warning (a table cell past its column, a short underline...),
# as "make lint" requires.  Prints the first problem of each bad file.
import sys

import docutils.core
import docutils.utils

bad = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        docutils.core.publish_string(
            text, source_path=path, writer_name="null",
            settings_overrides={"report_level": 2, "halt_level": 2,
                                "warning_stream": False})
    except docutils.utils.SystemMessage as e:
        print(f"lint-docs: {e}".splitlines()[0])
        bad += 1
sys.exit(1 if bad else 0)
