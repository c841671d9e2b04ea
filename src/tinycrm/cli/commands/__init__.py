"""The commands of `crm`, one module per kind of work, each named for what it does (adding,
listing, moving…); `tinycrm.cli.COMMANDS` says which module holds which command word.

A command parses its arguments, calls a core service and renders the result: nothing else."""
