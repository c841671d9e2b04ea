"""Run the command line as ``python -m tinycrm``."""

from tinycrm.client import main

main()
