"""Synthetic people and the bundled demo scenario, so nobody ever needs real names to try things."""
