"""`python -m airline_elt` is `airline-elt`."""

import sys

from airline_elt.cli import main

sys.exit(main())
