"""The command line for operators and the coordinator (`flask --app wsgi <command>`)."""
