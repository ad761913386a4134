"""``python -m leadops`` is the ``leadops`` command."""

from leadops.cli import main

raise SystemExit(main())
