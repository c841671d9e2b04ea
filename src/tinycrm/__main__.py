"""Run the command line as ``python -m tinycrm``."""

from tinycrm.cli import main

main()
