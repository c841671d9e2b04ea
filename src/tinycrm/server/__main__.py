"""`python -m tinycrm.server`: run the command server (the client starts it so)."""

from tinycrm.server.daemon import main

main()
