"""Calls without a phone: the TwiML walker (walker.py) and the terminal simulator around it."""
