"""Services: what the surfaces do with the store and the domain."""
