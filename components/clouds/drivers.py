"""`DRIVERS`: cloud name -> its `CloudDriver`, loaded from each plugin of `plugins.PLUGINS` (the one
list of the clouds). The assembly and the tests read it.

Not in `clouds/__init__.py` on purpose: `core/config/` reaches a cloud's pure `settings.py`
through the `components.clouds` package, which must therefore import nothing (the drivers import
the cells, and the cells the cloud SDKs).
"""
from __future__ import annotations

from .driver import CloudDriver
from .plugins import PLUGINS

DRIVERS: dict[str, CloudDriver] = {cloud: p.driver() for cloud, p in PLUGINS.items()}
