"""Charts and briefing packs from results folders: house style, chart functions, the brief, the CLI."""
