"""``python -m yj_metrics``: see :mod:`yj_metrics.cli`."""
import sys

from .cli import main

sys.exit(main())
