"""Headless core of the workbench. Nothing under this package imports Qt."""
