"""The envport pipeline and its command line."""
