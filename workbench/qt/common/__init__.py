"""What every feature package of the Qt layer shares: the job lifecycle, live curves, theme, app state."""
