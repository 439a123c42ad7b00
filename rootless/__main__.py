from __future__ import annotations

from rootless.entry import main

raise SystemExit(main())
