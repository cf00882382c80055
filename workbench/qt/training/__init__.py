"""The Training studio: settings form, live curves, run controls."""
