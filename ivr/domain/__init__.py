"""The domain: rules of the support procedure, free of Flask and SQL."""
