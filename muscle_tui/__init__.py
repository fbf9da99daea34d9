"""muscle-tui: browse and export MUSCLE experiment data from the terminal."""

__version__ = "0.1.0"
