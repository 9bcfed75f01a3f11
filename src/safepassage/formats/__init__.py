"""Files in and out: scenario folders, plan JSON, and the problems found reading them."""
