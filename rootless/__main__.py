from __future__ import annotations

from rootless.cli import main

raise SystemExit(main())
