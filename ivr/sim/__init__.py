"""A telephone in the terminal: the TwiML walker and the call simulator."""
