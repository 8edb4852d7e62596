"""Renderers: report objects to text (`registry.renderer_for`), the normalized rows to files
(`events.write_events`). This package file imports nothing, so the CLI can read
`render.formats` before pandas is loaded."""
