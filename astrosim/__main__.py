"""``python -m astrosim`` runs the command line."""
from astrosim.cli import main

raise SystemExit(main())
