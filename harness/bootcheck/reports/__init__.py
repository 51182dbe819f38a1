"""What a person reads: the pytest report plugin, HTML and Markdown reports,
the verdict files of `bootcheck check`, and its pictures (memory map, boot
chain), checked in a headless browser."""
