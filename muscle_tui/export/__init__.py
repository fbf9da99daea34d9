"""The export engine: selection -> rows -> files. It knows nothing of Textual."""
