"""What every app shares: domain errors, API plumbing and admin base classes.

Nothing in here imports from the project's apps (accounts, library, reports) or from the
project's settings, urls or dashboard, so every app may depend on it and it on none.
"""
