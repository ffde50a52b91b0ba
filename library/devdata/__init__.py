"""Data for development and measurement: the demo library (``demo``) and the generator of
libraries of any size (``generate``). Neither runs in production."""
