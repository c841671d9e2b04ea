"""Run the command line as ``python -m tinycrm``."""

from tinycrm.server.client import main

main()
